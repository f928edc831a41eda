import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/net.ts';
import { watchSettingsFile } from './watch-file.ts';

describe('watchSettingsFile', () => {
  it('applies the current file, then each atomic replacement, and skips a broken one with a warning', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-settings-'));
    const file = path.join(dir, 'nuc', 'settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ wheel: { topSpeed: 20 } }));
    const seen: unknown[] = [];
    const warnings: object[] = [];
    const stop = watchSettingsFile(file, { warn: (obj) => warnings.push(obj) }, (doc) => {
      seen.push(doc);
    });
    try {
      await waitFor(() => seen.length === 1, 'the current file');
      expect(seen).toEqual([{ wheel: { topSpeed: 20 } }]);
      const replace = (text: string) => {
        fs.writeFileSync(`${file}.tmp`, text);
        fs.renameSync(`${file}.tmp`, file);
      };
      replace('{"wheel": ');
      await waitFor(() => warnings.length > 0, 'a warning for the broken file');
      replace(JSON.stringify({ wheel: { topSpeed: 60 } }));
      await waitFor(() => seen.length === 2, 'the replaced file');
      expect(seen[1]).toEqual({ wheel: { topSpeed: 60 } });
    } finally {
      stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
