import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/net.ts';
import { defaultSettings, readSettingsFile, watchSettings, writeSettingsFile, type Settings } from './settings-file.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-settings-'));
  file = path.join(dir, 'nuc', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const defaults = defaultSettings({ background: { name: 'stadium', filter: 'sepia' } });

describe('the settings file', () => {
  it('holds exactly the sections written, in its layout, and reads them back', async () => {
    const wheel = { ...defaults.wheel, topSpeed: 20 };
    await writeSettingsFile(file, { panning: { scale: 9 }, background: { name: 'neon-grid', filter: 'none' }, wheel });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ panning: { scale: 9 }, background: 'neon-grid', filter: 'none', wheel });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);
    expect(await readSettingsFile(file, defaults)).toEqual({ panning: { scale: 9 }, background: { name: 'neon-grid', filter: 'none' }, wheel });
  });

  it('reads nothing from a missing file, without a warning', async () => {
    const warnings: object[] = [];
    expect(await readSettingsFile(file, defaults, { warn: (obj) => warnings.push(obj) })).toEqual({});
    expect(warnings).toEqual([]);
  });

  it('gives a follower only valid sections: a damaged one is named in a warning and left out, the rest applies', async () => {
    const seen: Partial<Settings>[] = [];
    const warnings: { obj: object; msg: string | undefined }[] = [];
    const replace = (document: unknown) => {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(document));
      fs.renameSync(`${file}.tmp`, file);
    };
    replace({ panning: { scale: 4 } });
    const stop = watchSettings(file, { warn: (obj, msg) => warnings.push({ obj, msg }) }, defaults, (sections) => {
      seen.push(sections);
    });
    try {
      await waitFor(() => seen.length === 1, 'the current file');
      expect(seen[0]).toEqual({ panning: { scale: 4 } });
      // a filter without a background name keeps the configured background, as the server reads it
      replace({ panning: { scale: 'fast' }, filter: 'grayscale', wheel: { ...defaults.wheel, topSpeed: 60 } });
      await waitFor(() => seen.length === 2, 'the replaced file');
      expect(seen[1]).toEqual({ background: { name: 'stadium', filter: 'grayscale' }, wheel: { ...defaults.wheel, topSpeed: 60 } });
      expect(warnings).toEqual([{ obj: expect.objectContaining({ section: 'panning', problem: expect.stringMatching(/^scale: /) }), msg: 'invalid settings section; keeping the current value' }]);
    } finally {
      stop();
    }
  });
});
