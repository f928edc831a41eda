import { describe, expect, it } from 'vitest';
import { grubConfig, GRUB_MODULES, GRUBENV_INITIAL, kernelCommandLine, raspiConfigTxt, raspiDeviceTrees, ubootEnvInitial, ubootScript } from './boot-config.ts';

const args = { root: 'PARTUUID=ed9ecafe-02', console: 'ttyS1' };

describe("the boot partition's texts", () => {
  it('boots the slot read-only, reboots a kernel that panics, and names the serial console', () => {
    const line = kernelCommandLine(args);
    expect(line).toMatch(/^root=PARTUUID=ed9ecafe-02 ro /);
    expect(line).toContain('panic=5');
    expect(line).toContain('console=ttyS1,115200');
  });

  describe("GRUB's A/B scheme (RAUC's grub backend: ORDER, <slot>_OK, <slot>_TRY)", () => {
    const grub = grubConfig({ console: 'ttyS0', extra: ['modprobe.blacklist=i2c_i801'], slots: [{ name: 'A', partition: 2, root: 'PARTLABEL=rootA' }, { name: 'B', partition: 3, root: 'PARTLABEL=rootB' }] });
    const lines = grub.split('\n');

    it('loads and saves only the scheme\'s variables, in the grubenv beside grub.cfg on the ESP', () => {
      expect(grub).toContain('set envfile="${prefix}/grubenv"');
      expect(lines).toContain('load_env --file "${envfile}" ORDER A_OK A_TRY B_OK B_TRY');
      expect(lines).toContain('save_env --file "${envfile}" ORDER A_OK A_TRY B_OK B_TRY');
      expect(GRUB_MODULES).toEqual(expect.arrayContaining(['loadenv', 'regexp', 'test']));
      // a missing environment means no slot known good (defaults before load_env), never a guess
      expect(lines.indexOf('set A_OK=0')).toBeLessThan(lines.findIndex((l) => l.startsWith('load_env')));
    });

    it('boots the first slot in ORDER that is good and untried, marking it tried before it boots, and saves that before booting', () => {
      expect(grub).toContain('for candidate in ${ORDER}; do');
      expect(grub).toContain('if [ "${candidate}" = "A" -a "${A_OK}" = "1" -a "${A_TRY}" = "0" ]; then\n      set slot="A"\n      set A_TRY=1');
      expect(grub).toContain('elif [ "${candidate}" = "B" -a "${B_OK}" = "1" -a "${B_TRY}" = "0" ]; then\n      set slot="B"\n      set B_TRY=1');
      expect(lines.findIndex((l) => l.startsWith('save_env'))).toBeGreaterThan(lines.findIndex((l) => l === 'done'));
      expect(lines.findIndex((l) => l.startsWith('save_env'))).toBeLessThan(lines.findIndex((l) => l.startsWith('menuentry')));
      expect(grub).toContain('set default="slot-${slot}"');
    });

    it('falls back to slot A when no slot is bootable, saying so on the console', () => {
      expect(grub).toMatch(/if \[ -z "\$\{slot\}" \]; then\n {2}echo "edge car OS: no slot is good and untried \(ORDER=\$\{ORDER\} A_OK=\$\{A_OK\} A_TRY=\$\{A_TRY\} B_OK=\$\{B_OK\} B_TRY=\$\{B_TRY\}\): booting slot A"\n {2}set slot="A"\nfi/);
    });

    it("starts each slot's own kernel from its partition on the ESP's disk, its root by GPT name, and tells RAUC the slot", () => {
      expect(grub).toContain('regexp --set=1:disk "^([^,]+)," "${root}"');
      expect(grub).toContain('menuentry "edge car OS, slot A" --id slot-A {\n  linux (${disk},gpt2)/boot/vmlinuz root=PARTLABEL=rootA ro ');
      expect(grub).toContain('  initrd (${disk},gpt2)/boot/initrd.img');
      expect(grub).toContain('menuentry "edge car OS, slot B" --id slot-B {\n  linux (${disk},gpt3)/boot/vmlinuz root=PARTLABEL=rootB ro ');
      expect(grub).toMatch(/root=PARTLABEL=rootA [^\n]* modprobe\.blacklist=i2c_i801 rauc\.slot=A\n/);
      expect(grub).toMatch(/root=PARTLABEL=rootB [^\n]* rauc\.slot=B\n/);
      // no search by file system label: RAUC copies one slot's file system, label and all, onto the other
      expect(grub).not.toContain('search');
    });

    it('starts with slot A good and first, slot B empty', () => {
      expect(GRUBENV_INITIAL).toEqual(['ORDER=A B', 'A_OK=1', 'A_TRY=0', 'B_OK=0', 'B_TRY=0']);
    });
  });

  const piSlots = { console: 'ttyS1', slots: [{ name: 'A' as const, partition: 2, root: 'PARTUUID=ed9ecafe-02' }, { name: 'B' as const, partition: 3, root: 'PARTUUID=ed9ecafe-03' }] };
  const envFile = { name: 'uboot.env', bytes: 0x4000, attempts: 3 };

  it("puts U-Boot's scratch area for the compressed kernel in RAM on every board: after the initrd's address, not at a fixed one", () => {
    const script = ubootScript(piSlots, envFile);
    expect(script).toContain('setexpr kernel_comp_addr_r ${ramdisk_addr_r} + 0x8000000');
    expect(script).not.toMatch(/setenv kernel_comp_addr_r 0x/);
    expect(script).toContain('load ${devtype} ${devnum}:${slotpart} ${kernel_addr_r} /boot/vmlinuz || reset');
  });

  describe("U-Boot's A/B scheme (RAUC's uboot backend: BOOT_ORDER, BOOT_<slot>_LEFT)", () => {
    const script = ubootScript(piSlots, envFile);
    const lines = script.split('\n');

    it('imports only the scheme\'s variables from uboot.env on the boot partition, defaults first', () => {
      expect(lines.slice(1, 4)).toEqual(['setenv BOOT_ORDER "A B"', 'setenv BOOT_A_LEFT 3', 'setenv BOOT_B_LEFT 0']);
      expect(script).toContain('if load ${devtype} ${devnum}:1 ${kernel_addr_r} uboot.env && env import -c ${kernel_addr_r} ${filesize} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT; then');
      // never saveenv: the environment is the file Linux's fw_setenv edits
      expect(script).not.toContain('saveenv');
    });

    it('boots the first slot in BOOT_ORDER with attempts left, counting the attempt down and writing it back before the kernel loads', () => {
      expect(script).toContain('for candidate in ${BOOT_ORDER}; do');
      expect(script).toContain('elif test "${candidate}" = "B" && test ${BOOT_B_LEFT} -gt 0; then\n      setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1\n      setenv slot B\n      setenv slotpart 3\n      setenv slotroot PARTUUID=ed9ecafe-03');
      const exportAt = lines.indexOf('env export -c -s 0x4000 ${kernel_addr_r} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT');
      const writeAt = lines.findIndex((l) => l.startsWith('fatwrite ${devtype} ${devnum}:1 ${kernel_addr_r} uboot.env 0x4000'));
      expect(exportAt).toBeGreaterThan(lines.indexOf('done'));
      expect(writeAt).toBe(exportAt + 1);
      expect(writeAt).toBeLessThan(lines.findIndex((l) => l.startsWith('load ${devtype} ${devnum}:${slotpart}')));
    });

    it('falls back to slot A when no slot has attempts left, and tells the kernel the slot and its root', () => {
      expect(script).toMatch(/if test -z "\$\{slot\}"; then\n {2}echo "edge car OS: no slot has boot attempts left [^\n]*: booting slot A"\n {2}setenv slot A\n {2}setenv slotpart 2\n {2}setenv slotroot PARTUUID=ed9ecafe-02\nfi/);
      expect(script).toMatch(/^setenv bootargs "root=\$\{slotroot\} ro [^"]* rauc\.slot=\$\{slot\}"$/m);
      expect(ubootEnvInitial(3)).toEqual(['BOOT_ORDER=A B', 'BOOT_A_LEFT=3', 'BOOT_B_LEFT=0']);
    });
  });

  it("ships the Pi 3's and the Pi 4's device trees under the names Debian's kernel gives them, and tells the firmware so", () => {
    const kernel = ['bcm2711-rpi-4-b.dtb', 'bcm2837-rpi-3-b.dtb', 'bcm2837-rpi-3-b-plus.dtb', 'bcm2837-rpi-zero-2-w.dtb', 'bcm2835-rpi-zero-w.dtb', 'bcm2712-rpi-5-b.dtb', 'bcm2711-rpi-4-b.dtb.bak'];
    expect(raspiDeviceTrees(kernel)).toEqual(['bcm2711-rpi-4-b.dtb', 'bcm2837-rpi-3-b-plus.dtb', 'bcm2837-rpi-3-b.dtb', 'bcm2837-rpi-zero-2-w.dtb']);
    expect(raspiConfigTxt()).toMatch(/^upstream_kernel=1$/m);
    expect(raspiConfigTxt()).toMatch(/^kernel=u-boot\.bin$/m);
  });
});
