import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearEstopFile, estopFile, readEstop, writeEstop } from './estop-file.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function runDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'estop-'));
  dirs.push(dir);
  return dir;
}

describe('the estop latch file', () => {
  it('is absent until latched, then read back until cleared', async () => {
    const file = estopFile(runDir());
    expect(await readEstop(file)).toBeUndefined();
    writeEstop(file, { latchedAt: 1234, reason: 'control' });
    expect(await readEstop(file)).toEqual({ latchedAt: 1234, reason: 'control' });
    clearEstopFile(file);
    expect(await readEstop(file)).toBeUndefined();
    clearEstopFile(file); // clearing twice is fine
  });

  it('counts a file it cannot parse as latched', async () => {
    const file = estopFile(runDir());
    fs.writeFileSync(file, '{"latchedAt": 12');
    expect(await readEstop(file)).toEqual({ latchedAt: 0, reason: 'unreadable latch file' });
  });
});
