/**
 * The file operations a tub writer needs, behind an interface so a test can make the disk fill up
 * (ENOSPC) at a chosen moment without a real full disk.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, rename, stat, truncate, unlink, writeFile } from 'node:fs/promises';

export interface TubFileSystem {
  /** creates the directory and its parents */
  mkdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  appendFile(path: string, data: string): Promise<void>;
  /** replaces the file all at once: write a temp file, fsync it, rename it over the old one */
  writeFileAtomic(path: string, data: string): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** `fsync: false` skips the flush to disk (atomic against a crash, not a power cut): for tests and scratch tubs. */
export function createNodeTubFileSystem(options: { fsync?: boolean } = {}): TubFileSystem {
  const fsync = options.fsync ?? true;
  return {
    async mkdir(path) {
      await mkdir(path, { recursive: true });
    },
    async exists(path) {
      return stat(path).then(
        () => true,
        () => false,
      );
    },
    writeFile: (path, data) => writeFile(path, data),
    appendFile: (path, data) => appendFile(path, data),
    async writeFileAtomic(path, data) {
      const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(data);
          if (fsync) await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    },
    truncate: (path, length) => truncate(path, length),
    unlink: (path) => unlink(path),
  };
}

export const nodeTubFileSystem: TubFileSystem = createNodeTubFileSystem();
