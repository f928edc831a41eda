import { describe, expect, it } from 'vitest';
import { LayoutError, partitionReference, planPartitions, rootSlotMiBFor, sfdiskScript } from './partition-plan.ts';

describe('the partition plan', () => {
  const sizes = { bootMiB: 128, rootSlotMiB: 1024, dataMiB: 64 };

  it('lays out boot, rootA, rootB and data back to back on 1 MiB boundaries, data last', () => {
    const plan = planPartitions('gpt', 'amd64', sizes);
    expect(plan.partitions.map((p) => [p.index, p.role, p.label, p.fs])).toEqual([
      [1, 'boot', 'EDGEBOOT', 'vfat'],
      [2, 'rootA', 'rootA', 'ext4'],
      [3, 'rootB', 'rootB', 'ext4'],
      [4, 'data', 'data', 'ext4'],
    ]);
    const mib = 2048;
    expect(plan.partitions.map((p) => p.startSector / mib)).toEqual([1, 129, 1153, 2177]);
    expect(plan.partitions[1]!.sizeSectors).toBe(plan.partitions[2]!.sizeSectors); // B can hold what A holds
    // the backup GPT needs the last MiB
    expect(plan.totalBytes).toBe((1 + 128 + 1024 + 1024 + 64 + 1) * 1024 * 1024);
  });

  it('uses the partition types each firmware looks for', () => {
    const gpt = planPartitions('gpt', 'arm64', sizes);
    expect(gpt.partitions[0]!.type).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B'); // the EFI system partition
    expect(gpt.partitions[1]!.type).toBe('B921B045-1DF0-41C3-AF44-4C6F280D3FAE'); // arm64 root
    const dos = planPartitions('dos', 'arm64', sizes);
    expect(dos.partitions.map((p) => p.type)).toEqual(['c', '83', '83', '83']);
    expect(dos.totalBytes).toBe((1 + 128 + 2048 + 64) * 1024 * 1024);
  });

  it('writes an sfdisk script naming GPT partitions, or an MBR with the disk id and a bootable FAT', () => {
    const gpt = sfdiskScript(planPartitions('gpt', 'amd64', sizes), '0xed9ecafe');
    expect(gpt).toContain('label: gpt');
    expect(gpt).toContain('start=264192, size=2097152, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="rootA"');
    const dos = sfdiskScript(planPartitions('dos', 'arm64', sizes), '0xed9ecafe');
    expect(dos).toContain('label-id: 0xed9ecafe');
    expect(dos).toContain('start=2048, size=262144, type=c, bootable');
    expect(() => sfdiskScript(planPartitions('dos', 'arm64', sizes), 'ed9ecafe')).toThrow(/disk id/);
  });

  it('names the root slot the way the kernel finds it', () => {
    expect(partitionReference(planPartitions('gpt', 'amd64', sizes), 'rootA', '0xed9ecafe')).toBe('PARTLABEL=rootA');
    expect(partitionReference(planPartitions('dos', 'arm64', sizes), 'rootB', '0xed9ecafe')).toBe('PARTUUID=ed9ecafe-03');
  });

  it('refuses sizes no file system fits in, naming the size', () => {
    expect(() => planPartitions('gpt', 'amd64', { ...sizes, bootMiB: 8 })).toThrow(LayoutError);
    expect(() => planPartitions('gpt', 'amd64', { ...sizes, rootSlotMiB: 100.5 })).toThrow(/rootSlotMiB/);
  });

  it('sizes a root slot with a quarter to spare, in 64 MiB steps', () => {
    expect(rootSlotMiBFor(600 * 1024 * 1024)).toBe(832); // 600 * 1.25 + 32 = 782 → 832
    expect(rootSlotMiBFor(0) % 64).toBe(0);
  });
});
