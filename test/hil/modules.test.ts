import { describe, expect, it } from 'vitest';
import { loadOrder, moduleName, readDepends } from './modules.ts';

/** The bytes around a .modinfo section as the kernel build lays it out: NUL-separated key=value. */
const ko = (modinfo: string): Buffer => Buffer.concat([Buffer.from('\x7fELF...'), Buffer.from(`\0license=GPL\0${modinfo}\0vermagic=6.1.0 SMP\0`)]);

describe('kernel module dependencies', () => {
  it('normalises file names to module names', () => {
    expect(moduleName('kernel/drivers/i2c/i2c-stub.ko')).toBe('i2c_stub');
    expect(moduleName('hid-generic.ko.xz')).toBe('hid_generic');
    expect(moduleName('9pnet_virtio')).toBe('9pnet_virtio');
  });

  it('reads depends= from .modinfo', () => {
    expect(readDepends(ko('depends=virtio,9pnet,virtio_ring'))).toEqual(['virtio', '9pnet', 'virtio_ring']);
    expect(readDepends(ko('depends='))).toEqual([]);
    expect(() => readDepends(Buffer.from('not a module'))).toThrow(/no depends= entry/);
  });

  it('orders dependencies first, each once', () => {
    const deps: Record<string, string[]> = {
      '9p': ['9pnet', 'fscache', 'netfs'],
      '9pnet_virtio': ['virtio', '9pnet', 'virtio_ring'],
      virtio_pci: ['virtio_ring', 'virtio'],
      '9pnet': [],
      fscache: ['netfs'],
      netfs: [],
      virtio: [],
      virtio_ring: [],
    };
    const order = loadOrder(['virtio_pci', '9pnet_virtio', '9p'], (name) => {
      const d = deps[name];
      if (!d) throw new Error(`no module ${name}`);
      return d;
    });
    expect(order).toEqual(['virtio_ring', 'virtio', 'virtio_pci', '9pnet', '9pnet_virtio', 'netfs', 'fscache', '9p']);
  });

  it('names a cycle instead of recursing forever', () => {
    expect(() => loadOrder(['a'], (name) => (name === 'a' ? ['b'] : ['a']))).toThrow('module dependency cycle: a -> b -> a');
  });
});
