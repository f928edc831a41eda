import { describe, expect, it } from 'vitest';
import { checkModelMetadata, modelMetadata, ModelFormatError } from './metadata.ts';

const good = modelMetadata({ kind: 'fast', crop: { top: 20, bottom: 0 }, backend: 'wasm', createdAt: new Date(0) });

describe('model metadata', () => {
  it('fills in the input a kind takes, and passes its own check', () => {
    expect(good).toMatchObject({ frameSize: [60, 80], inputShape: [40, 80, 3], normalization: { scale: 1 / 255, offset: 0 }, outputs: ['angle', 'throttle'] });
    expect(checkModelMetadata(JSON.parse(JSON.stringify(good)), 'metadata.json')).toEqual(good);
  });

  it('keeps fields it does not know (a newer trainer may add some)', () => {
    expect(checkModelMetadata({ ...good, augmentations: 'v2' }, 'metadata.json')).toMatchObject({ augmentations: 'v2' });
  });

  it.each([
    [{ ...good, kind: 'huge' }, /m\/metadata.json: kind: /],
    [{ ...good, frameSize: [60] }, /frameSize/],
    [{ ...good, crop: { top: -1, bottom: 0 } }, /crop\.top/],
    [{ ...good, normalization: { scale: '1/255', offset: 0 } }, /normalization\.scale/],
    [{ ...good, crop: { top: 0, bottom: 0 } }, /inputShape \[40, 80, 3\] does not match frameSize and crop \(\[60, 80, 3\]\)/],
    [{ ...good, crop: { top: 60, bottom: 0 } }, /crop \{top: 60, bottom: 0\} must be non-negative integers leaving rows/],
    [(({ backend: _backend, ...rest }) => rest)(good), /backend/],
    [null, /\(root\)/],
  ])('refuses %j naming the field', (value, message) => {
    expect(() => checkModelMetadata(value, 'm/metadata.json')).toThrow(ModelFormatError);
    expect(() => checkModelMetadata(value, 'm/metadata.json')).toThrow(message);
  });
});
