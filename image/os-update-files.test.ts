import { describe, expect, it } from 'vitest';
import { compatibleOf, fwEnvConfig, osUpdateFiles, preInstallHandler, raucDbusPolicy, raucSystemConf, slotDevices, UBOOT_ENV_BYTES } from './os-update-files.ts';
import { TARGET_SPECS } from './targets.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
const gptSlots = slotDevices({ A: 'PARTLABEL=rootA', B: 'PARTLABEL=rootB' });
const x86 = new Map(osUpdateFiles(TARGET_SPECS['qemu-x86_64'], { keyringPem: CA, slots: gptSlots }).map((f) => [f.path, f]));
describe("RAUC's system configuration", () => {
  it('names the target, the GRUB backend with the grubenv on the ESP, the CA keyring for code signing, verity bundles only, and slots A and B by GPT name', () => {
    const conf = raucSystemConf(TARGET_SPECS['qemu-x86_64'], gptSlots);
    const lines = conf.split('\n');
    expect(lines).toEqual(expect.arrayContaining(['[system]', 'compatible=edge-car-qemu-x86_64', 'bootloader=grub', 'grubenv=/boot/firmware/EFI/BOOT/grubenv', 'bundle-formats=-plain -crypt', 'data-directory=/data/rauc']));
    expect(conf).toContain('[keyring]\npath=/etc/rauc/keyring.pem\ncheck-purpose=codesign\n');
    // chunked bundles read their chunks from the agent's loopback store (the port the agent's config defaults to)
    expect(conf).toContain('[casync]\nstorepath=http://127.0.0.1:7471/\ntmppath=/data/rauc/tmp\n');
    expect(conf).toContain('[handlers]\npre-install=/usr/lib/edge/rauc-pre-install\n');
    expect(conf).toContain('[slot.rootfs.0]\ndevice=/dev/disk/by-partlabel/rootA\ntype=ext4\nbootname=A\n');
    expect(conf).toContain('[slot.rootfs.1]\ndevice=/dev/disk/by-partlabel/rootB\ntype=ext4\nbootname=B\n');
    expect(compatibleOf(TARGET_SPECS['rpi-arm64'])).toBe('edge-car-rpi-arm64');
  });

  it("uses U-Boot's backend with three attempts on the arm64 targets, the Pi's slots by PARTUUID", () => {
    const slots = slotDevices({ A: 'PARTUUID=ed9ecafe-02', B: 'PARTUUID=ed9ecafe-03' });
    const conf = raucSystemConf(TARGET_SPECS['rpi-arm64'], slots);
    expect(conf).toContain('bootloader=uboot\nboot-attempts=3\nboot-attempts-primary=3\n');
    expect(conf).not.toContain('grubenv');
    expect(conf).toContain('device=/dev/disk/by-partuuid/ed9ecafe-03\ntype=ext4\nbootname=B');
    expect(() => slotDevices({ A: '/dev/sda2', B: 'PARTLABEL=rootB' })).toThrow(/slot A/);
  });

  it('points fw_env.config at the uboot.env file on the boot partition, at the size U-Boot exports', () => {
    expect(fwEnvConfig()).toContain(`/boot/firmware/uboot.env 0x0 0x${UBOOT_ENV_BYTES.toString(16)}\n`);
    const pi = new Map(osUpdateFiles(TARGET_SPECS['rpi-arm64'], { keyringPem: CA, slots: gptSlots }).map((f) => [f.path, f.content]));
    expect(pi.get('/etc/fw_env.config')).toBe(fwEnvConfig());
    expect(x86.has('/etc/fw_env.config')).toBe(false);
  });

  it('carries the keyring it is given, and refuses text that is not a certificate', () => {
    expect(x86.get('/etc/rauc/keyring.pem')!.content).toBe(CA);
    expect(() => osUpdateFiles(TARGET_SPECS['qemu-x86_64'], { keyringPem: 'not a certificate', slots: gptSlots })).toThrow(/PEM certificate/);
  });
});

describe('the scripts in the image', () => {
  it("the pre-install handler is executable and reads /etc/edge-os-release (its logic: os-update-scripts.integration.test.ts)", () => {
    const file = x86.get('/usr/lib/edge/rauc-pre-install')!;
    expect(file.mode).toBe(0o755);
    expect(file.content).toBe(preInstallHandler('/etc/edge-os-release'));
    expect(x86.get('/usr/lib/edge/os-mark-good')!.mode).toBe(0o755);
  });
});

describe('the units and the bus policy', () => {
  it('lets only root and the car user talk to RAUC on the system bus', () => {
    const policy = raucDbusPolicy();
    expect(policy).toMatch(/<policy context="default">\s*<deny send_destination="de.pengutronix.rauc"\/>/);
    expect(policy).toMatch(/<policy user="edge">\s*<allow send_destination="de.pengutronix.rauc"\/>/);
    expect(policy).toMatch(/<policy user="root">\s*<allow send_destination="de.pengutronix.rauc"\/>/);
    expect(x86.get('/etc/dbus-1/system.d/edge-rauc.conf')!.content).toBe(policy);
  });

  it("runs RAUC's service at the lowest CPU and I/O priority, once the data and boot partitions are mounted", () => {
    const dropIn = x86.get('/etc/systemd/system/rauc.service.d/edge.conf')!.content;
    expect(dropIn).toContain('[Service]\nNice=19\nIOSchedulingClass=best-effort\nIOSchedulingPriority=7\n');
    expect(dropIn).toContain('RequiresMountsFor=/data /boot/firmware');
  });

  it("reboots (as root) when the agent writes its request, removing the request first", () => {
    expect(x86.get('/etc/systemd/system/edge-os-reboot.path')!.content).toContain('[Path]\nPathExists=/data/edge/os/reboot-request\nUnit=edge-os-reboot.service\n');
    const service = x86.get('/etc/systemd/system/edge-os-reboot.service')!.content;
    const steps = service.split('\n').filter((l) => l.startsWith('ExecStart='));
    expect(steps).toEqual(['ExecStart=/bin/rm -f /data/edge/os/reboot-request', 'ExecStart=/bin/sync', 'ExecStart=/bin/systemctl --no-block reboot']);
    expect(service).not.toContain('User=');
  });

  it("makes the agent's OS folder (the car's user) and RAUC's status folder (root) on the data partition", () => {
    const tmpfiles = x86.get('/etc/tmpfiles.d/edge-os.conf')!.content;
    expect(tmpfiles).toContain('d /data/edge/os 0750 edge edge -\n');
    expect(tmpfiles).toContain('d /data/rauc 0700 root root -\n');
    expect(x86.get('/etc/systemd/system/edge-os-mark-good.service')!.content).toContain('ExecStart=/usr/lib/edge/os-mark-good');
  });

  it('marks the slot good once the system is up, without an ordering cycle with multi-user.target (which wants it)', () => {
    const unit = x86.get('/etc/systemd/system/edge-os-mark-good.service')!.content;
    expect(unit).toContain('DefaultDependencies=no');
    expect(unit).toMatch(/^After=.*\bmulti-user\.target\b/m);
    expect(unit).toContain('WantedBy=multi-user.target');
  });
});
