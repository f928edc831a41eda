import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.ts';

describe('writeFileAtomic', () => {
  it('creates missing folders, replaces the file whole and leaves no temporary file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-atomic-'));
    const file = path.join(dir, 'a', 'b', 'state.json');
    await writeFileAtomic(file, '{"v":1}');
    await writeFileAtomic(file, Buffer.from('{"v":2}'));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":2}');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);
  });

  it('leaves the old file and no temporary file when the write fails', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-atomic-'));
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, 'old');
    fs.mkdirSync(`${file}.dir`);
    // Renaming a file over a directory fails: the old content must survive.
    await expect(writeFileAtomic(`${file}.dir`, 'new')).rejects.toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir).sort()).toEqual(['state.json', 'state.json.dir']);
  });

  it('has a synchronous form with a file mode, for the update repository', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-atomic-'));
    const file = path.join(dir, 'keys', 'role.pem');
    writeFileAtomicSync(file, 'secret', 0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe('secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['role.pem']);
  });
});
