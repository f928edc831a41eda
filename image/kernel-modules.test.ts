import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneModules, RAUC_MODULES, unloadableModules } from './kernel-modules.ts';

const DEP = [
  'kernel/drivers/media/test-drivers/vivid/vivid.ko.xz: kernel/drivers/media/cec/core/cec.ko.xz kernel/drivers/media/v4l2-core/videodev.ko.xz',
  'kernel/drivers/media/cec/core/cec.ko.xz: kernel/drivers/media/rc/rc-core.ko.xz',
  'kernel/drivers/media/rc/rc-core.ko.xz:',
  'kernel/drivers/media/v4l2-core/videodev.ko.xz:',
  'kernel/drivers/i2c/i2c-stub.ko.xz:',
].join('\n');

describe('the modules a pruned kernel tree can still load', () => {
  it('names a wanted module whose dependency the pruning removed, and the file it misses', () => {
    const present = new Set(['kernel/drivers/media/test-drivers/vivid/vivid.ko.xz', 'kernel/drivers/media/cec/core/cec.ko.xz', 'kernel/drivers/media/v4l2-core/videodev.ko.xz', 'kernel/drivers/i2c/i2c-stub.ko.xz']);
    expect(unloadableModules(DEP, (file) => present.has(file), ['i2c-stub', 'vivid'])).toEqual(['vivid: missing kernel/drivers/media/rc/rc-core.ko.xz']);
    present.add('kernel/drivers/media/rc/rc-core.ko.xz');
    expect(unloadableModules(DEP, (file) => present.has(file), ['i2c_stub', 'vivid'])).toEqual([]);
  });

  it('takes a module built into the kernel, and names one the kernel does not have at all', () => {
    expect(unloadableModules(DEP, () => true, ['i2c-dev', 'no-such'], 'kernel/drivers/i2c/i2c-dev.ko\n')).toEqual(['no-such: not in the kernel\'s modules.dep']);
  });
});

describe('pruning the kernel tree', () => {
  it("removes device-mapper's other targets but keeps dm-verity and what it needs (RAUC's verity bundles)", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-modules-'));
    try {
      const md = path.join(root, '6.1.0-test', 'kernel', 'drivers', 'md');
      fs.mkdirSync(path.join(md, 'persistent-data'), { recursive: true });
      for (const name of ['dm-mod.ko', 'dm-bufio.ko', 'dm-verity.ko.xz', 'dm-crypt.ko', 'raid456.ko', 'persistent-data/dm-persistent-data.ko']) fs.writeFileSync(path.join(md, name), 'x'.repeat(10));
      expect(pruneModules(root)).toBe(30);
      expect(fs.readdirSync(md).sort()).toEqual(['dm-bufio.ko', 'dm-mod.ko', 'dm-verity.ko.xz']);
      expect(RAUC_MODULES).toEqual(['loop', 'squashfs', 'dm-verity']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
