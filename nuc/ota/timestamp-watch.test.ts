import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/net.ts';
import { watchTimestamp } from './timestamp-watch.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const write = (file: string, version: number) => fs.writeFileSync(file, JSON.stringify({ signed: { _type: 'timestamp', version } }));

describe('watchTimestamp', () => {
  it('reports each new version, including a repository created after it started, and nothing else', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-watch-'));
    dirs.push(dir);
    const file = path.join(dir, 'metadata', 'timestamp.json');
    const seen: number[] = [];
    const stop = watchTimestamp(file, (v) => seen.push(v), 20);
    try {
      fs.mkdirSync(path.dirname(file));
      write(file, 1);
      await waitFor(() => seen.length === 1 || undefined, 'the first version', 2000, 10);
      fs.writeFileSync(file, '{"signed": {"vers'); // half written: ignored
      await new Promise((resolve) => setTimeout(resolve, 60));
      write(file, 2);
      await waitFor(() => seen.length === 2 || undefined, 'the second version', 2000, 10);
      expect(seen).toEqual([1, 2]);
    } finally {
      stop();
    }
  });

  it('does not report the version already there when it starts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-watch-'));
    dirs.push(dir);
    const file = path.join(dir, 'timestamp.json');
    write(file, 7);
    const seen: number[] = [];
    const stop = watchTimestamp(file, (v) => seen.push(v), 10);
    await new Promise((resolve) => setTimeout(resolve, 80));
    stop();
    expect(seen).toEqual([]);
  });
});
