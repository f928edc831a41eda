/** Test fixtures: RAUC's own output, for the parser's and the CLI wrapper's tests. */
/** The shape RAUC 1.8 prints for `rauc status --detailed --output-format=json` (GRUB backend, B installed by RAUC). */
export const RAUC_18 = {
  compatible: 'edge-car-qemu-x86_64',
  variant: '',
  booted: 'A',
  boot_primary: 'rootfs.1',
  slots: [
    {
      'efi.0': { class: 'efi', device: '/dev/disk/by-partlabel/esp', type: 'vfat', bootname: null, state: 'inactive', parent: null, mountpoint: null, boot_status: null },
    },
    {
      'rootfs.0': {
        class: 'rootfs',
        device: '/dev/disk/by-partlabel/rootA',
        type: 'ext4',
        bootname: 'A',
        state: 'booted',
        parent: null,
        mountpoint: '/',
        boot_status: 'good',
      },
    },
    {
      'rootfs.1': {
        class: 'rootfs',
        device: '/dev/disk/by-partlabel/rootB',
        type: 'ext4',
        bootname: 'B',
        state: 'inactive',
        parent: null,
        mountpoint: null,
        boot_status: 'good',
        slot_status: {
          bundle: { compatible: 'edge-car-qemu-x86_64', version: '0.2.0-abc', description: null, build: '1765000000', hash: 'ab12' },
          checksum: { sha256: 'ab12', size: 83886080 },
          installed: { timestamp: '2026-12-07T18:00:00Z', count: 1 },
          activated: { timestamp: '2026-12-07T18:00:01Z', count: 1 },
          status: 'ok',
        },
      },
    },
  ],
};
