import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from './blob-store.ts';
import { SlotStore } from './slot-store.ts';
import type { ReleaseFile } from './release.ts';

function blob(dir: string, text: string, filePath: string): ReleaseFile {
  const sha256 = createHash('sha256').update(text).digest('hex');
  fs.writeFileSync(path.join(dir, sha256), text);
  return { path: filePath, target: filePath, sha256, length: Buffer.byteLength(text) };
}

describe('SlotStore', () => {
  let root: string;
  let blobs: BlobStore;
  let slots: SlotStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'slots-'));
    fs.mkdirSync(path.join(root, 'blobs'));
    blobs = new BlobStore({ dir: path.join(root, 'blobs'), urlOf: () => 'http://127.0.0.1:1/' });
    slots = new SlotStore(path.join(root, 'slots'), blobs);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('replaces a slot with exactly the staged files; an empty slot has no entry (factory code)', async () => {
    expect(await slots.entryFile('pilot', 'B', 'service.js')).toBeUndefined();
    await slots.stage('pilot', 'B', [blob(path.join(root, 'blobs'), 'old', 'service.js'), blob(path.join(root, 'blobs'), 'stale', 'extra.txt')]);
    await slots.stage('pilot', 'B', [blob(path.join(root, 'blobs'), 'new', 'service.js'), blob(path.join(root, 'blobs'), '{}', 'tracks/default.json')]);
    const entry = await slots.entryFile('pilot', 'B', 'service.js');
    expect(entry && fs.readFileSync(entry, 'utf8')).toBe('new');
    expect(fs.readdirSync(slots.dirOf('pilot', 'B')).sort()).toEqual(['service.js', 'tracks']);
    expect(fs.readdirSync(path.join(root, 'slots', 'pilot')).sort()).toEqual(['B']);
  });

  it('refuses a file path that leaves the slot', async () => {
    const file = blob(path.join(root, 'blobs'), 'x', '../escape.js');
    await expect(slots.stage('pilot', 'A', [file])).rejects.toThrow(/leaves its slot/);
  });

  it('links node_modules at the slots root so bundles resolve their native packages', async () => {
    const installed = path.join(root, 'node_modules');
    fs.mkdirSync(installed);
    await slots.linkNodeModules(installed);
    await slots.linkNodeModules(installed);
    expect(fs.readlinkSync(path.join(root, 'slots', 'node_modules'))).toBe(installed);
  });
});
