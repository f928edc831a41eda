import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../settings/index.ts';
import { compositorSettings } from './settings-file.ts';

describe('compositorSettings', () => {
  it("takes the keying, the pan scale, the background and its filter, and leaves the wheel's mapping alone", () => {
    const all = defaultSettings({ panning: { scale: 9 }, background: { name: 'stadium', filter: 'sepia' } });
    expect(compositorSettings(all)).toEqual({ keying: all.keying, panScale: 9, background: 'stadium', filter: 'sepia' });
    expect(compositorSettings({ wheel: all.wheel })).toEqual({});
  });
});
