import { describe, expect, it } from 'vitest';
import { casyncIndexImages, osBundleInfo, parseRaucInfo } from './os-bundle.ts';

const GOOD = '{"compatible":"edge-car-qemu-x86_64","version":"0.2.0-test","description":null,"build":"1765000000","hooks":[],"images":[{"rootfs":{"variant":null,"filename":"rootfs.ext4","checksum":"d7","size":1048576,"hooks":[],"adaptive":[]}}]}';

describe("rauc info's answer, as hostile input", () => {
  it('reads the version, compatible, build and slots of a good answer', () => {
    expect(osBundleInfo('b.raucb', parseRaucInfo('b.raucb', GOOD))).toEqual({ version: '0.2.0-test', compatible: 'edge-car-qemu-x86_64', build: '1765000000', slots: ['rootfs'] });
  });

  it('refuses what is not its JSON, naming the field', () => {
    expect(() => parseRaucInfo('b.raucb', 'Reading bundle…')).toThrow(/rauc info printed no JSON for b\.raucb/);
    expect(() => parseRaucInfo('b.raucb', '[]')).toThrow(/invalid at \/: /);
    expect(() => parseRaucInfo('b.raucb', '{"compatible":7,"images":[]}')).toThrow(/invalid at \/compatible/);
    expect(() => parseRaucInfo('b.raucb', '{"compatible":"x","images":{"rootfs":{}}}')).toThrow(/invalid at \/images/);
    expect(() => parseRaucInfo('b.raucb', `{"compatible":"x","version":"${'9'.repeat(5000)}","images":[]}`)).toThrow(/invalid at \/version/);
  });

  it('refuses a manifest without the version or compatible a release needs, or with values a car cannot take', () => {
    const info = (fields: object) => osBundleInfo('b.raucb', parseRaucInfo('b.raucb', JSON.stringify({ ...JSON.parse(GOOD), ...fields })));
    expect(() => info({ version: null })).toThrow(/b\.raucb's RAUC manifest has no version \(\[update\] version=\)/);
    expect(() => info({ version: undefined })).toThrow(/has no version/);
    expect(() => info({ version: '1.0 beta' })).toThrow(/manifest version '1\.0 beta' is not an OS version/);
    expect(() => info({ compatible: null })).toThrow(/has no compatible/);
    expect(() => info({ compatible: 'Edge Car' })).toThrow(/compatible 'Edge Car' is not a car kind/);
    expect(() => info({ images: [] })).toThrow(/has no image: it would install nothing/);
    expect(info({ build: null })).toEqual({ version: '0.2.0-test', compatible: 'edge-car-qemu-x86_64', slots: ['rootfs'] });
  });

  it("finds a chunked bundle's casync indexes (a blob's .caibx, an archive's .caidx) and the image length its manifest gives", () => {
    const info = (images: unknown) => parseRaucInfo('b.raucb', JSON.stringify({ ...JSON.parse(GOOD), images }));
    expect(casyncIndexImages(parseRaucInfo('b.raucb', GOOD))).toEqual([]);
    expect(casyncIndexImages(info([{ rootfs: { filename: 'rootfs.ext4.caibx', size: 16777216 } }]))).toEqual([{ slot: 'rootfs', filename: 'rootfs.ext4.caibx', size: 16777216 }]);
    expect(casyncIndexImages(info([{ appfs: { filename: 'app.caidx' } }, { rootfs: { filename: 'rootfs.ext4' } }]))).toEqual([{ slot: 'appfs', filename: 'app.caidx', size: undefined }]);
    // a size that is not a whole number is not used
    expect(casyncIndexImages(info([{ rootfs: { filename: 'r.caibx', size: '12' } }]))).toEqual([{ slot: 'rootfs', filename: 'r.caibx', size: undefined }]);
    for (const name of ['rootfs.ext4', 'rootfs.caibx.img', 'x.catar', 'x.cabdx', 'x.caibx~']) expect(casyncIndexImages(info([{ rootfs: { filename: name } }])), name).toEqual([]);
  });
});
