/**
 * The disk layout every image shares, as numbers: a boot partition (FAT: firmware, bootloader, its
 * environment), root slots A and B of one size (B stays empty until an OS update fills it), and the
 * data partition last so that first boot can grow it to the end of the card. Pure: the builder
 * writes the table with sfdisk and the file systems with dd at these offsets.
 *
 * GPT for the QEMU targets (partitions found by name: PARTLABEL=rootA); an MBR table for the
 * Raspberry Pi, whose boot ROM (Pi 3) reads only MBR: exactly four primary partitions.
 */
export const SECTOR = 512;
const MIB = 1024 * 1024;
/** Partitions start on 1 MiB boundaries (flash erase blocks, and room for the table). */
const ALIGN_MIB = 1;
/** The backup GPT at the end of the disk: 33 sectors, rounded up to the alignment. */
const GPT_TAIL_MIB = 1;

export type TableKind = 'gpt' | 'dos';
export type PartitionRole = 'boot' | 'rootA' | 'rootB' | 'data';
export type FileSystemKind = 'vfat' | 'ext4';

export const PARTITION_ROLES: readonly PartitionRole[] = ['boot', 'rootA', 'rootB', 'data'];

/** GPT partition types (the Discoverable Partitions Specification) and MBR type bytes. */
const GPT_TYPES = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  rootAmd64: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
  rootArm64: 'B921B045-1DF0-41C3-AF44-4C6F280D3FAE',
  linux: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
} as const;
const DOS_TYPES = { fat32Lba: 'c', linux: '83' } as const;

export interface PartitionSizes {
  bootMiB: number;
  rootSlotMiB: number;
  dataMiB: number;
}

export interface PlannedPartition {
  /** 1-based, as the kernel numbers it (vda1, mmcblk0p1) */
  index: number;
  role: PartitionRole;
  /** the GPT partition name and the file system's label */
  label: string;
  fs: FileSystemKind;
  startSector: number;
  sizeSectors: number;
  type: string;
}

export interface PartitionPlan {
  table: TableKind;
  /** the whole image */
  totalBytes: number;
  partitions: PlannedPartition[];
}

export class LayoutError extends Error {
  override name = 'LayoutError';
}

const LABELS: Record<PartitionRole, string> = { boot: 'EDGEBOOT', rootA: 'rootA', rootB: 'rootB', data: 'data' };

function checkSize(name: keyof PartitionSizes, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) throw new LayoutError(`${name} must be a whole number of MiB ≥ ${minimum}, got ${value}`);
}

export function planPartitions(table: TableKind, arch: 'amd64' | 'arm64', sizes: PartitionSizes): PartitionPlan {
  checkSize('bootMiB', sizes.bootMiB, 32); // FAT32 needs 32 MiB; firmware and U-Boot fit
  checkSize('rootSlotMiB', sizes.rootSlotMiB, 64);
  checkSize('dataMiB', sizes.dataMiB, 16);
  const rootType = table === 'dos' ? DOS_TYPES.linux : arch === 'amd64' ? GPT_TYPES.rootAmd64 : GPT_TYPES.rootArm64;
  const typeOf: Record<PartitionRole, string> = {
    boot: table === 'dos' ? DOS_TYPES.fat32Lba : GPT_TYPES.esp,
    rootA: rootType,
    rootB: rootType,
    data: table === 'dos' ? DOS_TYPES.linux : GPT_TYPES.linux,
  };
  const sizeOf: Record<PartitionRole, number> = { boot: sizes.bootMiB, rootA: sizes.rootSlotMiB, rootB: sizes.rootSlotMiB, data: sizes.dataMiB };
  const sectorsPerMiB = MIB / SECTOR;
  let nextMiB = ALIGN_MIB;
  const partitions = PARTITION_ROLES.map((role, i): PlannedPartition => {
    const startSector = nextMiB * sectorsPerMiB;
    nextMiB += sizeOf[role];
    return { index: i + 1, role, label: LABELS[role], fs: role === 'boot' ? 'vfat' : 'ext4', startSector, sizeSectors: sizeOf[role] * sectorsPerMiB, type: typeOf[role] };
  });
  const totalMiB = nextMiB + (table === 'gpt' ? GPT_TAIL_MIB : 0);
  return { table, totalBytes: totalMiB * MIB, partitions };
}

/** The root slot's size for a root file system of `usedBytes`: a quarter spare for OS updates that grow, in 64 MiB steps. */
export function rootSlotMiBFor(usedBytes: number): number {
  const wanted = (usedBytes * 1.25) / MIB + 32;
  return Math.ceil(wanted / 64) * 64;
}

/** The sfdisk script that writes the plan's table; `diskId` is the MBR's 32-bit id (the Pi's PARTUUID prefix). */
export function sfdiskScript(plan: PartitionPlan, diskId: string): string {
  if (!/^0x[0-9a-f]{8}$/.test(diskId)) throw new LayoutError(`the disk id must be 0x and 8 hex digits, got '${diskId}'`);
  const header = plan.table === 'gpt' ? ['label: gpt'] : ['label: dos', `label-id: ${diskId}`];
  const lines = plan.partitions.map((p) => {
    const name = plan.table === 'gpt' ? `, name="${p.label}"` : '';
    const bootable = plan.table === 'dos' && p.role === 'boot' ? ', bootable' : '';
    return `start=${p.startSector}, size=${p.sizeSectors}, type=${p.type}${name}${bootable}`;
  });
  return [...header, 'unit: sectors', '', ...lines, ''].join('\n');
}

/** How the kernel finds a partition of this plan: by GPT name, or by the MBR disk id and number. */
export function partitionReference(plan: PartitionPlan, role: PartitionRole, diskId: string): string {
  const partition = plan.partitions.find((p) => p.role === role);
  if (!partition) throw new LayoutError(`the plan has no ${role} partition`);
  return plan.table === 'gpt' ? `PARTLABEL=${partition.label}` : `PARTUUID=${diskId.slice(2)}-${String(partition.index).padStart(2, '0')}`;
}

export function partitionOf(plan: PartitionPlan, role: PartitionRole): PlannedPartition {
  const partition = plan.partitions.find((p) => p.role === role);
  if (!partition) throw new LayoutError(`the plan has no ${role} partition`);
  return partition;
}
