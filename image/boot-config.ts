/**
 * What the boot partition holds to start the kernel of root slot A, as text: GRUB's configuration
 * (x86_64, UEFI) or U-Boot's boot script (QEMU's arm64 `virt` machine and the Raspberry Pi). The
 * kernel, initramfs and device trees stay inside the slot (`/boot/vmlinuz`, `/boot/initrd.img`,
 * `/boot/dtbs`), so an OS update replaces them together: a new kernel never boots with old DTBs.
 */
import type { Target } from './targets.ts';

export interface KernelArgs {
  /** how the kernel finds the root slot, e.g. PARTLABEL=rootA */
  root: string;
  console: string;
  extra?: readonly string[];
}

export function kernelCommandLine(args: KernelArgs): string {
  // `ro`: the slot stays read-only; panic=5 reboots a kernel that cannot go on (the bootloader may then fall back)
  // no_timer_check: the IO-APIC timer probe fails under emulation on a busy host (a panic at boot); it only guards old broken chipsets
  return `root=${args.root} ro rootwait console=tty1 console=${args.console},115200 panic=5 no_timer_check systemd.show_status=1 net.ifnames=0${args.extra?.length ? ` ${args.extra.join(' ')}` : ''}`;
}

/** GRUB (built into BOOTX64.EFI by grub-mkimage, reading this file from the ESP). */
export function grubConfig(args: KernelArgs, slotLabel: string): string {
  return [
    'set timeout=0',
    'set default=0',
    'insmod part_gpt',
    'insmod ext2',
    `search --no-floppy --set=root --label ${slotLabel}`,
    `menuentry "edge car OS (${slotLabel})" {`,
    `  linux /boot/vmlinuz ${kernelCommandLine(args)}`,
    '  initrd /boot/initrd.img',
    '}',
    '',
  ].join('\n');
}

/** The GRUB modules BOOTX64.EFI carries (no module loading from disk at boot). */
export const GRUB_MODULES = ['part_gpt', 'part_msdos', 'fat', 'ext2', 'normal', 'linux', 'configfile', 'search', 'search_label', 'search_fs_uuid', 'echo', 'test', 'loadenv', 'gzio', 'zstd', 'efi_gop', 'all_video', 'reboot', 'sleep'];

/**
 * U-Boot's boot script, found by its distro boot on the first partition. `devtype`/`devnum` are set
 * by distro boot (virtio under QEMU, mmc on the Pi); the Pi's firmware leaves its device tree's name in
 * `fdtfile`, and the slot's own copy of that tree is loaded.
 */
export function ubootScript(args: KernelArgs, slotPartition: number): string {
  const part = `\${devtype} \${devnum}:${slotPartition}`;
  return [
    `setenv bootargs "${kernelCommandLine(args)}"`,
    // Debian's arm64 vmlinuz is gzip-compressed: booti unpacks it through a scratch area, put 128 MiB
    // past the initrd's address so it is RAM on both boards (QEMU's starts at 1 GiB, a Pi 3 has 1 GiB)
    'setexpr kernel_comp_addr_r ${ramdisk_addr_r} + 0x8000000',
    'setenv kernel_comp_size 0x4000000',
    `load ${part} \${kernel_addr_r} /boot/vmlinuz || reset`,
    `load ${part} \${ramdisk_addr_r} /boot/initrd.img || reset`,
    'setenv initrd_size ${filesize}',
    `if test -n "\${fdtfile}" && load ${part} \${fdt_addr_r} /boot/dtbs/\${fdtfile}; then setenv fdt \${fdt_addr_r}; else setenv fdt \${fdtcontroladdr}; fi`,
    'booti ${kernel_addr_r} ${ramdisk_addr_r}:${initrd_size} ${fdt}',
    'reset',
    '',
  ].join('\n');
}

/**
 * The Pi firmware's config.txt: 64-bit, U-Boot as the "kernel", the serial console on. Debian's
 * kernel names the device trees as Linux does (bcm2837-rpi-3-b.dtb, where Raspberry Pi OS says
 * bcm2710-rpi-3-b.dtb): `upstream_kernel=1` makes the firmware look for those names.
 */
export function raspiConfigTxt(): string {
  return ['# edge car OS: the GPU firmware starts U-Boot, which boots root slot A or B', 'arm_64bit=1', 'upstream_kernel=1', 'kernel=u-boot.bin', 'enable_uart=1', 'dtparam=i2c_arm=on', 'disable_overscan=1', ''].join('\n');
}

/** The device trees of the boards the image supports (Pi 3 and Zero 2 W: BCM2837; Pi 4 and 400: BCM2711), from the kernel's `broadcom/` folder. */
export function raspiDeviceTrees(names: readonly string[]): string[] {
  return names.filter((name) => /^bcm(2837|2711)-rpi-.*\.dtb$/.test(name)).sort();
}

export function bootKind(target: Target): Target['boot'] {
  return target.boot;
}
