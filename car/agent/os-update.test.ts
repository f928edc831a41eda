import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { OsRelease } from '../../protocol/index.ts';
import { BlobStore } from './blob-store.ts';
import type { OsHealth } from './os-plan.ts';
import { OS_RECORD, OsUpdater, REBOOT_REQUEST, TRIAL_MARKER, parseMarker, parseRecord } from './os-update.ts';
import type { RaucControl, RaucStatus } from './rauc.ts';
import type { Slot } from './state.ts';

const log = pino({ level: 'silent' });
const BYTES = Buffer.from('a bundle');
const OS2: OsRelease = {
  version: '0.2.0',
  compatible: 'edge-car-qemu-x86_64',
  bundle: { path: 'os.raucb', target: 'os/car-0.2.0.raucb', sha256: createHash('sha256').update(BYTES).digest('hex'), length: BYTES.length },
};

/** RAUC and the bootloader in memory: enough for the updater's file handling. */
class FakeRauc implements RaucControl {
  booted: Slot = 'A';
  slots: RaucStatus['slots'] = { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'inactive' } };
  calls: string[] = [];
  failInstall: string | undefined;
  async status(): Promise<RaucStatus> {
    return { compatible: 'edge-car-qemu-x86_64', booted: this.booted, slots: structuredClone(this.slots) };
  }
  async install(bundle: string): Promise<void> {
    this.calls.push(`install ${path.basename(bundle)}`);
    if (this.failInstall) throw new Error(this.failInstall);
    this.slots.B = { name: 'rootfs.1', state: 'good', version: OS2.version };
  }
  async markGood(): Promise<void> {
    this.calls.push('mark-good');
    this.slots[this.booted] = { ...this.slots[this.booted], state: 'good' };
  }
  async markBad(): Promise<void> {
    this.calls.push('mark-bad');
    this.slots[this.booted] = { ...this.slots[this.booted], state: 'bad' };
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setup(): { dir: string; rauc: FakeRauc; open: (running: string | undefined, health?: OsHealth, now?: () => number) => Promise<OsUpdater> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'os-update-'));
  dirs.push(dir);
  const rauc = new FakeRauc();
  const bundles = new BlobStore({ dir: path.join(dir, 'bundles'), urlOf: () => 'http://unused.invalid/' });
  fs.mkdirSync(path.join(dir, 'bundles'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bundles', OS2.bundle.sha256), BYTES);
  const open = (running: string | undefined, health: OsHealth = { ok: true }, now: () => number = Date.now) =>
    OsUpdater.open({
      dir,
      rauc,
      bundles,
      config: { reboot: 'at-rest', restS: 10, healthS: 300 },
      log,
      running,
      health: () => health,
      restForMs: () => 60_000,
      operatorAllows: () => false,
      onReport: () => undefined,
      previousBootLog: async () => undefined,
      clock: now,
    });
  return { dir, rauc, open };
}

describe('OsUpdater', () => {
  it('installs, writes the trial marker, requests the reboot at rest, and marks the new OS good on trial', async () => {
    const { dir, rauc, open } = setup();
    const before = await open('0.1.0');
    expect(before.servicesMayApply({ os: OS2 })).toBe(false);
    expect((await before.runOnce(OS2)).kind).toBe('install');
    expect(rauc.calls).toEqual(['install os.raucb']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, TRIAL_MARKER), 'utf8'))).toMatchObject({ version: '0.2.0', slot: 'B', deadlineS: 300 });
    expect(before.report().osUpdate).toMatchObject({ version: '0.2.0', outcome: 'pending-reboot' });
    expect((await before.runOnce(OS2)).kind).toBe('reboot');
    expect(fs.existsSync(path.join(dir, REBOOT_REQUEST))).toBe(true);
    expect(before.report().osUpdate?.outcome).toBe('rebooting');

    // the machine reboots into B (its try: RAUC calls it bad until marked good)
    fs.rmSync(path.join(dir, REBOOT_REQUEST));
    rauc.booted = 'B';
    rauc.slots.B.state = 'bad';
    const after = await open('0.2.0');
    expect(after.servicesMayApply({ os: OS2 })).toBe(false);
    expect(await after.runOnce(OS2)).toEqual({ kind: 'mark-good', version: '0.2.0', trial: true });
    expect(fs.existsSync(path.join(dir, TRIAL_MARKER))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'bundles'))).toEqual([]);
    expect(after.servicesMayApply({ os: OS2 })).toBe(true);
    expect(after.report()).toMatchObject({ os: '0.2.0', osSlots: { booted: 'B', B: { state: 'good', version: '0.2.0' } }, osUpdate: { outcome: 'good' } });
  });

  it('marks an unhealthy trial bad, then reports the fallback as rolled back and never installs it again', async () => {
    const { dir, rauc, open } = setup();
    await (await open('0.1.0')).runOnce(OS2);
    rauc.booted = 'B';
    let now = Date.now();
    const trial = await open('0.2.0', { ok: false, reason: 'camera not ready' }, () => now);
    expect((await trial.runOnce(OS2)).kind).toBe('wait');
    expect(trial.report().osUpdate).toMatchObject({ outcome: 'trial', reason: 'on trial: camera not ready' });
    now += 301_000;
    expect((await trial.runOnce(OS2)).kind).toBe('mark-bad-and-reboot');
    expect(rauc.calls.at(-1)).toBe('mark-bad');
    expect(fs.existsSync(path.join(dir, REBOOT_REQUEST))).toBe(true);

    fs.rmSync(path.join(dir, REBOOT_REQUEST));
    rauc.booted = 'A';
    const back = await open('0.1.0');
    const step = await back.runOnce(OS2);
    expect(step).toMatchObject({ kind: 'report-rolled-back', slot: 'A' });
    const reason = back.report().osUpdate?.reason ?? '';
    expect(reason).toMatch(/^back on slot A: not healthy within 300 s: camera not ready; RAUC: A good, B bad \(0\.2\.0\); previous boot: the previous boot's log is gone/);
    expect(fs.existsSync(path.join(dir, TRIAL_MARKER))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, OS_RECORD), 'utf8')).failed).toEqual(['0.2.0']);
    expect((await back.runOnce(OS2)).kind).toBe('hold');
    expect(rauc.calls.filter((c) => c.startsWith('install'))).toHaveLength(1);
  });

  it('reports a refused install as failed with RAUC’s words', async () => {
    const { rauc, open } = setup();
    rauc.failInstall = 'rauc install os.raucb: failed (1): Compatible mismatch';
    const updater = await open('0.1.0');
    await updater.runOnce(OS2);
    expect(updater.report().osUpdate).toMatchObject({ outcome: 'failed', reason: 'rauc install os.raucb: failed (1): Compatible mismatch' });
    expect(updater.marker).toBeUndefined();
  });

  it("tries again when RAUC's service fails rather than refuses, and gives up after a few tries", async () => {
    const { rauc, open } = setup();
    rauc.failInstall = 'rauc install os.raucb: failed (2): RAUC service disappeared\nD-Bus error while installing `os.raucb`';
    let now = 1_000_000;
    const updater = await open('0.1.0', { ok: true }, () => now);
    await updater.runOnce(OS2);
    expect(updater.report().osUpdate).toMatchObject({ outcome: 'installing', reason: expect.stringMatching(/^RAUC's service failed; retrying: /) });
    // not before its time
    expect((await updater.runOnce(OS2)).kind).toBe('wait');
    expect(rauc.calls).toHaveLength(1);
    rauc.failInstall = undefined;
    now += 60_000;
    await updater.runOnce(OS2);
    expect(rauc.calls).toEqual(['install os.raucb', 'install os.raucb']);
    expect(updater.report().osUpdate).toMatchObject({ outcome: 'pending-reboot', downloadedBytes: OS2.bundle.length });
    expect(updater.record.failed).toEqual([]);
  });

  it('fails the update when RAUC keeps failing', async () => {
    const { rauc, open } = setup();
    rauc.failInstall = 'rauc install os.raucb: failed (1): Timeout was reached';
    let now = 1_000_000;
    const updater = await open('0.1.0', { ok: true }, () => now);
    for (let i = 0; i < 5; i++) {
      await updater.runOnce(OS2);
      now += 61_000;
    }
    expect(rauc.calls).toHaveLength(5);
    expect(updater.report().osUpdate).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('Timeout was reached') });
    expect(updater.record.failed).toEqual([OS2.version]);
  });

  it('never touches the OS off the project image, and says why', async () => {
    const { rauc, open } = setup();
    const updater = await open(undefined);
    expect(updater.servicesMayApply({ os: OS2 })).toBe(true);
    expect((await updater.runOnce(OS2)).kind).toBe('skip');
    expect(updater.report()).toEqual({ osUpdate: expect.objectContaining({ outcome: 'failed', reason: expect.stringMatching(/not on the project's OS image/) }) });
    expect(rauc.calls).toEqual([]);
  });

  it('removes a torn trial marker and ignores a broken record', async () => {
    const { dir, open } = setup();
    fs.writeFileSync(path.join(dir, TRIAL_MARKER), '{"version":');
    fs.writeFileSync(path.join(dir, OS_RECORD), '[]');
    const updater = await open('0.1.0');
    expect(updater.marker).toBeUndefined();
    expect(updater.record).toEqual({ failed: [] });
    expect(fs.existsSync(path.join(dir, TRIAL_MARKER))).toBe(false);
  });
});

describe('parseMarker / parseRecord', () => {
  it('names the bad field', () => {
    expect(() => parseMarker({ version: '0.2', slot: 'C', startedAt: 1 })).toThrow(/slot must be 'A' or 'B'/);
    expect(() => parseMarker({ version: '../x', slot: 'A', startedAt: 1 })).toThrow(/version must be an OS version/);
    expect(() => parseMarker({ version: '0.2', slot: 'A', startedAt: 'now' })).toThrow(/startedAt/);
    expect(parseMarker({ version: '0.2', slot: 'A', startedAt: 1, failed: 'x'.repeat(900) }).failed).toHaveLength(500);
    expect(() => parseRecord({ failed: [], update: { version: '0.2', outcome: 'exploded', at: 1 } })).toThrow(/outcome must be one of/);
    expect(parseRecord({ failed: ['0.2', 5, '../x'] })).toEqual({ failed: ['0.2'] });
    expect(parseRecord({ failed: [], update: { version: '0.2', outcome: 'good', at: 1, downloadedBytes: 4096 } }).update?.downloadedBytes).toBe(4096);
    expect(() => parseRecord({ failed: [], update: { version: '0.2', outcome: 'good', at: 1, downloadedBytes: -1 } })).toThrow(/downloadedBytes must be a whole number/);
  });
});
