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

export interface BootSlot {
  /** RAUC's bootname */
  name: 'A' | 'B';
  /** the slot's partition number on the boot disk (the ESP or FAT partition is 1) */
  partition: number;
  /** how the kernel finds the slot's root, e.g. PARTLABEL=rootB */
  root: string;
}

export interface BootArgs {
  console: string;
  extra?: readonly string[];
  /** slot A first: the one a disk whose environment names no bootable slot falls back to */
  slots: readonly BootSlot[];
}

const slotArgs = (args: BootArgs, slot: BootSlot): string => kernelCommandLine({ root: slot.root, console: args.console, extra: [...(args.extra ?? []), `rauc.slot=${slot.name}`] });

/** The grubenv GRUB and RAUC share, as `grub-editenv set` arguments: slot A good and first, B empty. */
export const GRUBENV_INITIAL: readonly string[] = ['ORDER=A B', 'A_OK=1', 'A_TRY=0', 'B_OK=0', 'B_TRY=0'];

/**
 * GRUB (built into BOOTX64.EFI by grub-mkimage, reading this file from the ESP), with RAUC's grub
 * scheme: `ORDER` lists the slots by preference; a slot boots when `<slot>_OK=1` and `<slot>_TRY=0`,
 * and GRUB sets `<slot>_TRY=1` (saved to the ESP's grubenv) before booting it, so a slot nobody marks
 * good on that boot (`rauc status mark-good`: TRY=0) is passed over the next time. When no slot
 * qualifies, slot A boots. The kernel comes from the chosen slot's own partition, on the ESP's disk
 * (by number: both slots' file systems carry the same label once RAUC has copied one onto the other).
 */
export function grubConfig(args: BootArgs): string {
  const names = args.slots.map((slot) => slot.name);
  const vars = names.flatMap((name) => [`${name}_OK`, `${name}_TRY`]);
  const fallback = args.slots[0]!;
  return [
    '# edge car OS: RAUC\'s A/B scheme (ORDER, <slot>_OK, <slot>_TRY in the grubenv beside this file)',
    'set timeout=0',
    'insmod part_gpt',
    'insmod fat',
    'insmod ext2',
    'insmod loadenv',
    'insmod test',
    'insmod regexp',
    'set envfile="${prefix}/grubenv"',
    // what a missing or damaged environment means: no slot known good, so the fallback below
    `set ORDER="${names.join(' ')}"`,
    ...vars.map((name) => `set ${name}=0`),
    `load_env --file "\${envfile}" ORDER ${vars.join(' ')}`,
    'set slot=""',
    'for candidate in ${ORDER}; do',
    '  if [ -z "${slot}" ]; then',
    ...args.slots.flatMap((slot, i) => [
      `    ${i === 0 ? 'if' : 'elif'} [ "\${candidate}" = "${slot.name}" -a "\${${slot.name}_OK}" = "1" -a "\${${slot.name}_TRY}" = "0" ]; then`,
      `      set slot="${slot.name}"`,
      `      set ${slot.name}_TRY=1`,
    ]),
    '    fi',
    '  fi',
    'done',
    'if [ -z "${slot}" ]; then',
    `  echo "edge car OS: no slot is good and untried (ORDER=\${ORDER}${names.map((n) => ` ${n}_OK=\${${n}_OK} ${n}_TRY=\${${n}_TRY}`).join('')}): booting slot ${fallback.name}"`,
    `  set slot="${fallback.name}"`,
    'fi',
    `save_env --file "\${envfile}" ORDER ${vars.join(' ')}`,
    // the disk GRUB was loaded from (root is e.g. hd0,gpt1): the slots are its partitions
    'regexp --set=1:disk "^([^,]+)," "${root}"',
    'if [ -z "${disk}" ]; then set disk=hd0; fi',
    'set default="slot-${slot}"',
    ...args.slots.flatMap((slot) => [
      `menuentry "edge car OS, slot ${slot.name}" --id slot-${slot.name} {`,
      `  linux (\${disk},gpt${slot.partition})/boot/vmlinuz ${slotArgs(args, slot)}`,
      `  initrd (\${disk},gpt${slot.partition})/boot/initrd.img`,
      '}',
    ]),
    '',
  ].join('\n');
}

/** The GRUB modules BOOTX64.EFI carries (no module loading from disk at boot). */
export const GRUB_MODULES = ['part_gpt', 'part_msdos', 'fat', 'ext2', 'normal', 'linux', 'configfile', 'search', 'search_label', 'search_fs_uuid', 'echo', 'test', 'loadenv', 'regexp', 'gzio', 'zstd', 'efi_gop', 'all_video', 'reboot', 'sleep'];

/** The uboot.env U-Boot and RAUC share, as mkenvimage's input lines: slot A first with its tries, B empty. */
export function ubootEnvInitial(attempts: number): string[] {
  return ['BOOT_ORDER=A B', `BOOT_A_LEFT=${attempts}`, 'BOOT_B_LEFT=0'];
}

export interface UbootEnvFile {
  /** its name on the boot partition (partition 1) */
  name: string;
  /** its size: U-Boot exports exactly this many bytes, fw_env.config and mkenvimage say the same */
  bytes: number;
  /** boot attempts a slot gets when no environment is found (slot A) */
  attempts: number;
}

/**
 * U-Boot's boot script, found by its distro boot on the first partition, with RAUC's uboot scheme:
 * `BOOT_ORDER` lists the slots by preference; the first with attempts left (`BOOT_<slot>_LEFT` > 0)
 * boots, its count lowered and written back before the kernel loads, so a slot that never comes up
 * to be marked good (`rauc status mark-good`: the count back to full) runs out of tries and the
 * next one boots. When none has tries left, slot A boots. The environment lives in a file on the FAT
 * boot partition (`env import -c` / `env export -c` + `fatwrite`), not in U-Boot's own storage
 * (saveenv to QEMU's flash times out; a Pi's has none): Linux edits the same file with fw_setenv.
 * `devtype`/`devnum` are set by distro boot (virtio under QEMU, mmc on the Pi); the Pi's firmware
 * leaves its device tree's name in `fdtfile`, and the slot's own copy of that tree is loaded.
 */
export function ubootScript(args: BootArgs, env: UbootEnvFile): string {
  const names = args.slots.map((slot) => slot.name);
  const vars = ['BOOT_ORDER', ...names.map((name) => `BOOT_${name}_LEFT`)];
  const fallback = args.slots[0]!;
  const boot = `\${devtype} \${devnum}:1`;
  const part = '${devtype} ${devnum}:${slotpart}';
  const choose = (slot: BootSlot): string[] => [`setenv slot ${slot.name}`, `setenv slotpart ${slot.partition}`, `setenv slotroot ${slot.root}`];
  const size = `0x${env.bytes.toString(16)}`;
  return [
    `# edge car OS: RAUC's uboot scheme (BOOT_ORDER, BOOT_<slot>_LEFT) in ${env.name} on this partition`,
    // what a missing or damaged environment means: slot A with its tries
    `setenv BOOT_ORDER "${names.join(' ')}"`,
    ...args.slots.map((slot, i) => `setenv BOOT_${slot.name}_LEFT ${i === 0 ? env.attempts : 0}`),
    `if load ${boot} \${kernel_addr_r} ${env.name} && env import -c \${kernel_addr_r} \${filesize} ${vars.join(' ')}; then`,
    `  echo "edge car OS: ${env.name}: BOOT_ORDER=\${BOOT_ORDER}${names.map((n) => ` BOOT_${n}_LEFT=\${BOOT_${n}_LEFT}`).join('')}"`,
    'else',
    `  echo "edge car OS: no valid ${env.name}: slot ${fallback.name} first"`,
    'fi',
    'setenv slot',
    'for candidate in ${BOOT_ORDER}; do',
    '  if test -z "${slot}"; then',
    ...args.slots.flatMap((slot, i) => [
      `    ${i === 0 ? 'if' : 'elif'} test "\${candidate}" = "${slot.name}" && test \${BOOT_${slot.name}_LEFT} -gt 0; then`,
      `      setexpr BOOT_${slot.name}_LEFT \${BOOT_${slot.name}_LEFT} - 1`,
      ...choose(slot).map((line) => `      ${line}`),
    ]),
    '    fi',
    '  fi',
    'done',
    'if test -z "${slot}"; then',
    `  echo "edge car OS: no slot has boot attempts left (BOOT_ORDER=\${BOOT_ORDER}${names.map((n) => ` BOOT_${n}_LEFT=\${BOOT_${n}_LEFT}`).join('')}): booting slot ${fallback.name}"`,
    ...choose(fallback).map((line) => `  ${line}`),
    'fi',
    // the attempt is counted before anything of the slot loads: a kernel that hangs or panics has used it
    `env export -c -s ${size} \${kernel_addr_r} ${vars.join(' ')}`,
    `fatwrite ${boot} \${kernel_addr_r} ${env.name} ${size} || echo "edge car OS: cannot write ${env.name}: this boot attempt is not counted"`,
    `echo "edge car OS: booting slot \${slot}"`,
    `setenv bootargs "${kernelCommandLine({ root: '${slotroot}', console: args.console, extra: [...(args.extra ?? []), 'rauc.slot=${slot}'] })}"`,
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
