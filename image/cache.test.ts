import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedDir } from './cache.ts';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-image-cache-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("the image build's cache", () => {
  it('makes a folder once when two builds ask for it at the same time; the second waits and reuses it', async () => {
    let makes = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const make = async (dir: string): Promise<void> => {
      makes++;
      await gate;
      fs.writeFileSync(path.join(dir, 'tree'), 'made once');
    };
    const waited: number[] = [];
    const first = cachedDir(root, 'rootfs-abc', make);
    const second = cachedDir(root, 'rootfs-abc', make, (owner) => waited.push(owner));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(makes).toBe(1);
    expect(waited).toEqual([process.pid]);
    expect([a.hit, b.hit]).toEqual([false, true]);
    expect(fs.readFileSync(path.join(b.dir, 'tree'), 'utf8')).toBe('made once');
    expect(fs.existsSync(path.join(root, 'rootfs-abc.lock'))).toBe(false);
  });

  it('takes over the lock of a build that was killed', async () => {
    // above Linux's largest pid_max (2^22): no process has it
    fs.writeFileSync(path.join(root, 'node-x.lock'), `${2 ** 22 + 1}\n`);
    const result = await cachedDir(root, 'node-x', async (dir) => fs.writeFileSync(path.join(dir, 'bin'), ''));
    expect(result.hit).toBe(false);
    expect(fs.existsSync(path.join(result.dir, 'bin'))).toBe(true);
  });

  it('leaves no folder a later build would trust when making it fails', async () => {
    await expect(cachedDir(root, 'natives-y', async () => Promise.reject(new Error('npm failed')))).rejects.toThrow('npm failed');
    expect(fs.readdirSync(root)).toEqual([]);
  });
});
