import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RaucError, handlerRefusal, kernelSlot, parseRaucStatus } from './rauc.ts';
import { RAUC_18 } from './rauc-fixtures.ts';

describe('parseRaucStatus', () => {
  it('reads the booted slot, each root slot state and its installed bundle version', () => {
    const status = parseRaucStatus(JSON.stringify(RAUC_18));
    expect(status).toEqual({
      compatible: 'edge-car-qemu-x86_64',
      booted: 'A',
      primary: 'B',
      slots: { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'good', version: '0.2.0-abc' } },
    });
  });

  it('calls a slot nothing was installed into inactive, and a tried one bad', () => {
    const fresh = structuredClone(RAUC_18) as typeof RAUC_18;
    const b = fresh.slots[2]!['rootfs.1'] as Record<string, unknown>;
    delete b.slot_status;
    b.boot_status = 'bad';
    expect(parseRaucStatus(JSON.stringify(fresh)).slots.B).toEqual({ name: 'rootfs.1', state: 'inactive' });
    const tried = structuredClone(RAUC_18) as typeof RAUC_18;
    (tried.slots[2]!['rootfs.1'] as Record<string, unknown>).boot_status = 'bad';
    expect(parseRaucStatus(JSON.stringify(tried)).slots.B.state).toBe('bad');
  });

  it('refuses hostile or broken output with the field named', () => {
    expect(() => parseRaucStatus('not json')).toThrow(RaucError);
    expect(() => parseRaucStatus(JSON.stringify({ ...RAUC_18, booted: 'C' }))).toThrow(/booted is "C"/);
    expect(() => parseRaucStatus(JSON.stringify({ ...RAUC_18, booted: null }))).toThrow(/not A or B/);
    // RAUC said booted: null after a GRUB fallback once: the kernel's rauc.slot= tells
    expect(parseRaucStatus(JSON.stringify({ ...RAUC_18, booted: null }), kernelSlot('BOOT_IMAGE=(hd0,gpt2)/boot/vmlinuz root=PARTLABEL=rootA ro rauc.slot=A systemd.run=x')).booted).toBe('A');
    expect(kernelSlot('root=/dev/vda2 rauc.slot=C')).toBeUndefined();
    expect(() => parseRaucStatus(JSON.stringify({ ...RAUC_18, compatible: 5 }))).toThrow(/invalid at \/compatible/);
    expect(() => parseRaucStatus(JSON.stringify({ ...RAUC_18, slots: [RAUC_18.slots[1]] }))).toThrow(/no rootfs slot with bootname B/);
    expect(() => parseRaucStatus(JSON.stringify({ ...RAUC_18, compatible: 'x'.repeat(10_000) }))).toThrow(RaucError);
  });
});

describe('handlerRefusal', () => {
  it("adds the image's pre-install handler's reason written during this install, one printable line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-refusal-'));
    const file = path.join(dir, 'refusal');
    try {
      expect(handlerRefusal(file, Date.now())).toBeUndefined();
      fs.writeFileSync(file, 'bundle 0.1 (build 5) is older than the running OS (build 9)\nsecond line\u0007');
      expect(handlerRefusal(file, Date.now())).toBe('bundle 0.1 (build 5) is older than the running OS (build 9)');
      // an old refusal (an earlier install's) is not this one's
      expect(handlerRefusal(file, Date.now() + 60_000)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
