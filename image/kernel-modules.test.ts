import { describe, expect, it } from 'vitest';
import { unloadableModules } from './kernel-modules.ts';

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
