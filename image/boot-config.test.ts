import { describe, expect, it } from 'vitest';
import { grubConfig, kernelCommandLine, raspiConfigTxt, raspiDeviceTrees, ubootScript } from './boot-config.ts';

const args = { root: 'PARTUUID=ed9ecafe-02', console: 'ttyS1' };

describe("the boot partition's texts", () => {
  it('boots the slot read-only, reboots a kernel that panics, and names the serial console', () => {
    const line = kernelCommandLine(args);
    expect(line).toMatch(/^root=PARTUUID=ed9ecafe-02 ro /);
    expect(line).toContain('panic=5');
    expect(line).toContain('console=ttyS1,115200');
    expect(grubConfig({ ...args, root: 'PARTLABEL=rootA' }, 'rootA')).toContain('search --no-floppy --set=root --label rootA');
  });

  it("puts U-Boot's scratch area for the compressed kernel in RAM on every board: after the initrd's address, not at a fixed one", () => {
    const script = ubootScript(args, 2);
    expect(script).toContain('setexpr kernel_comp_addr_r ${ramdisk_addr_r} + 0x8000000');
    expect(script).not.toMatch(/setenv kernel_comp_addr_r 0x/);
    expect(script).toContain('load ${devtype} ${devnum}:2 ${kernel_addr_r} /boot/vmlinuz || reset');
  });

  it("ships the Pi 3's and the Pi 4's device trees under the names Debian's kernel gives them, and tells the firmware so", () => {
    const kernel = ['bcm2711-rpi-4-b.dtb', 'bcm2837-rpi-3-b.dtb', 'bcm2837-rpi-3-b-plus.dtb', 'bcm2837-rpi-zero-2-w.dtb', 'bcm2835-rpi-zero-w.dtb', 'bcm2712-rpi-5-b.dtb', 'bcm2711-rpi-4-b.dtb.bak'];
    expect(raspiDeviceTrees(kernel)).toEqual(['bcm2711-rpi-4-b.dtb', 'bcm2837-rpi-3-b-plus.dtb', 'bcm2837-rpi-3-b.dtb', 'bcm2837-rpi-zero-2-w.dtb']);
    expect(raspiConfigTxt()).toMatch(/^upstream_kernel=1$/m);
    expect(raspiConfigTxt()).toMatch(/^kernel=u-boot\.bin$/m);
  });
});
