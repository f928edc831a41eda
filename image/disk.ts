/**
 * File systems and the disk image as plain files, mounting nothing: mkfs.ext4 -d fills a root slot
 * from a tree, mkfs.vfat -C and mcopy make the boot partition, sfdisk writes the table into the image
 * file, dd places each file system at its offset.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SECTOR, sfdiskScript, type PartitionPlan, type PlannedPartition } from './partition-plan.ts';
import { runTool } from './tools.ts';

const MIB = 1024 * 1024;

export async function makeExt4(file: string, label: string, sizeMiB: number, tree?: string): Promise<void> {
  fs.rmSync(file, { force: true });
  // -m 0: no blocks reserved for root on a slot; root_owner: the tree's owners as they are
  await runTool('mkfs.ext4', ['-q', '-F', '-L', label, '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', ...(tree ? ['-d', tree] : []), file, `${sizeMiB}M`]);
}

export async function makeVfat(file: string, label: string, sizeMiB: number, files: Readonly<Record<string, string | Buffer>>, copyTrees: Readonly<Record<string, string>> = {}): Promise<void> {
  fs.rmSync(file, { force: true });
  await runTool('mkfs.vfat', ['-F', '32', '-S', '512', '-s', '1', '-n', label, '-C', file, String(sizeMiB * 1024)]);
  const staging = fs.mkdtempSync(path.join(path.dirname(file), 'fat-'));
  try {
    const dirs = new Set<string>();
    for (const name of Object.keys(files)) {
      for (let dir = path.posix.dirname(name); dir !== '.' && dir !== '/'; dir = path.posix.dirname(dir)) dirs.add(dir);
    }
    for (const dir of [...dirs].sort()) await runTool('mmd', ['-i', file, `::/${dir}`]);
    for (const [name, content] of Object.entries(files)) {
      const local = path.join(staging, name.replaceAll('/', '_'));
      fs.writeFileSync(local, content);
      await runTool('mcopy', ['-i', file, '-o', local, `::/${name}`]);
    }
    for (const [target, tree] of Object.entries(copyTrees)) {
      const entries = fs.readdirSync(tree).map((entry) => path.join(tree, entry));
      if (entries.length > 0) await runTool('mcopy', ['-i', file, '-s', '-o', ...entries, `::/${target}`]);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** sha256sum reads a GB image faster than a stream through node; node's hash where it is missing. */
export async function sha256File(file: string): Promise<string> {
  const line = await runTool('sha256sum', ['-b', file]).catch(() => undefined);
  const hex = line?.split(' ')[0];
  if (hex && /^[0-9a-f]{64}$/.test(hex)) return hex;
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * MIB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The image: an empty file of the plan's size, the table, each partition's file system at its offset. */
export async function assembleImage(image: string, plan: PartitionPlan, diskId: string, files: ReadonlyMap<PlannedPartition['role'], string>): Promise<void> {
  fs.rmSync(image, { force: true });
  fs.writeFileSync(image, '');
  fs.truncateSync(image, plan.totalBytes);
  await runTool('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', image], { input: sfdiskScript(plan, diskId) });
  for (const partition of plan.partitions) {
    const file = files.get(partition.role);
    if (!file) throw new Error(`no file system made for the ${partition.role} partition`);
    const bytes = fs.statSync(file).size;
    if (bytes > partition.sizeSectors * SECTOR) throw new Error(`the ${partition.role} file system (${bytes} bytes) is larger than its partition`);
    await runTool('dd', [`if=${file}`, `of=${image}`, 'bs=1M', `seek=${(partition.startSector * SECTOR) / MIB}`, 'conv=notrunc,sparse', 'status=none']);
  }
}

/** Bytes in use in an ext4 image (block count minus free blocks, from dumpe2fs's header). */
export async function ext4UsedBytes(file: string): Promise<number> {
  const header = await runTool('dumpe2fs', ['-h', file]);
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(header)?.[1] ?? NaN);
  return (field('Block count') - field('Free blocks')) * field('Block size');
}
