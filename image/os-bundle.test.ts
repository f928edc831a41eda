import { describe, expect, it } from 'vitest';
import { bundleFileName, bundleManifest } from './os-bundle.ts';

describe("an OS bundle's RAUC manifest", () => {
  it('names the compatible, the version and the orderable build, in the verity format, with the root slot image', () => {
    expect(bundleManifest({ compatible: 'edge-car-qemu-x86_64', version: '0.1.0-3f2a9c1b', build: 1796601600 })).toBe(
      '[update]\ncompatible=edge-car-qemu-x86_64\nversion=0.1.0-3f2a9c1b\nbuild=1796601600\n\n[bundle]\nformat=verity\n\n[image.rootfs]\nfilename=rootfs.ext4\n',
    );
    expect(bundleFileName('0.1.0-3f2a9c1b', 'qemu-x86_64')).toBe('car-0.1.0-3f2a9c1b-qemu-x86_64.raucb');
  });

  it('refuses fields that would break the manifest or the car\'s build check, naming the field', () => {
    const ok = { compatible: 'edge-car-qemu-x86_64', version: '0.1.0', build: 1 };
    expect(() => bundleManifest({ ...ok, compatible: 'a\n[handler]' })).toThrow(/compatible/);
    expect(() => bundleManifest({ ...ok, version: '' })).toThrow(/version/);
    expect(() => bundleManifest({ ...ok, version: 'x'.repeat(65) })).toThrow(/version/);
    for (const build of [-1, 1.5, Number.NaN, 1e13]) expect(() => bundleManifest({ ...ok, build })).toThrow(/build/);
  });
});
