/**
 * A/B slots: `<slots>/<service>/<A|B>/` holds one staged version of a service, built from the blob
 * store. Staging fills a temporary directory and renames it into place, so a slot is either its old
 * content, absent, or complete. An empty slot means "the factory code from the installed tree".
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from './blob-store.ts';
import type { ReleaseFile } from './release.ts';
import type { Slot } from './state.ts';

export class SlotStore {
  constructor(
    private readonly root: string,
    private readonly blobs: BlobStore,
  ) {}

  dirOf(service: string, slot: Slot): string {
    return path.join(this.root, service, slot);
  }

  /** The staged entry file of this slot, or undefined when the slot is empty (factory code). */
  async entryFile(service: string, slot: Slot, entry: string | undefined): Promise<string | undefined> {
    if (entry === undefined) return undefined;
    const file = path.join(this.dirOf(service, slot), entry);
    const stat = await fs.stat(file).catch(() => undefined);
    return stat?.isFile() ? file : undefined;
  }

  /**
   * A bundle imports its native packages (zeromq, sharp, tfjs) by name: Node looks for them in the
   * `node_modules` of every parent directory, so one link at the slots root serves every slot.
   */
  async linkNodeModules(installed: string): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    const link = path.join(this.root, 'node_modules');
    const current = await fs.readlink(link).catch(() => undefined);
    if (current === installed) return;
    await fs.rm(link, { force: true, recursive: true });
    await fs.symlink(installed, link, 'dir');
  }

  async stage(service: string, slot: Slot, files: readonly ReleaseFile[]): Promise<void> {
    const target = this.dirOf(service, slot);
    const parent = path.dirname(target);
    await fs.mkdir(parent, { recursive: true });
    const temp = `${target}.staging`;
    await fs.rm(temp, { recursive: true, force: true });
    for (const file of files) {
      const destination = path.join(temp, file.path);
      if (!destination.startsWith(`${temp}${path.sep}`)) throw new Error(`${service}: file path '${file.path}' leaves its slot`);
      await fs.mkdir(path.dirname(destination), { recursive: true });
      const blob = this.blobs.pathOf(file.sha256);
      // a hard link costs no space; the blob store and the slot may sit on different file systems
      await fs.link(blob, destination).catch(() => fs.copyFile(blob, destination));
    }
    const old = `${target}.old`;
    await fs.rm(old, { recursive: true, force: true });
    await fs.rename(target, old).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await fs.rename(temp, target);
    await fs.rm(old, { recursive: true, force: true });
  }

  async wipe(service: string, slot: Slot): Promise<void> {
    await fs.rm(this.dirOf(service, slot), { recursive: true, force: true });
  }
}
