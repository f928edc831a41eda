import { describe, expect, it } from 'vitest';
import { parseOsRelease } from '../car/agent/os-release.ts';
import { osFiles, osLinks, osReleaseText, withCarUser } from './os-files.ts';
import { TARGET_SPECS } from './targets.ts';

const os = { version: '0.1.0-1a2b3c4d', target: 'qemu-x86_64', nodeVersion: '24.22.3', builtAt: '2026-12-07T00:00:00Z', build: 1796601600 };
const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
const options = { keyringPem: CA, slots: [{ bootname: 'A' as const, device: '/dev/disk/by-partlabel/rootA' }, { bootname: 'B' as const, device: '/dev/disk/by-partlabel/rootB' }] };
const files = new Map(osFiles(TARGET_SPECS['qemu-x86_64'], os, options).map((f) => [f.path, f.content]));

describe("the car OS's files", () => {
  it('mounts no root line (the kernel mounts the booted slot read-only) and puts every write on the data partition or in RAM', () => {
    const fstab = files.get('/etc/fstab')!;
    expect(fstab).not.toMatch(/\s\/\s/);
    expect(fstab).toMatch(/^LABEL=data \/data ext4/m);
    for (const volatile of ['/tmp', '/var/log', '/var/lib/systemd']) expect(fstab).toMatch(new RegExp(`^tmpfs ${volatile} tmpfs`, 'm'));
    expect(files.get('/etc/systemd/journald.conf.d/edge.conf')).toContain('Storage=volatile');
  });

  it('runs the car as its own user from the bundle with plain node, only after provisioning succeeded', () => {
    const unit = files.get('/etc/systemd/system/edge-car.service')!;
    expect(unit).toContain('User=edge');
    expect(unit).toContain('ExecStart=/opt/edge/node/bin/node /opt/edge/car/car-os.js run');
    expect(unit).not.toContain('tsx');
    expect(unit).toContain('Requires=edge-provision.service');
    expect(osLinks().map((l) => l.path)).toContain('/etc/systemd/system/multi-user.target.wants/edge-car.service');
  });

  it('keeps SSH off without a provisioned key, with passwords refused', () => {
    expect(files.get('/etc/systemd/system/ssh.service.d/edge.conf')).toContain('ConditionPathExists=/data/ssh/authorized_keys');
    expect(files.get('/etc/ssh/sshd_config.d/edge.conf')).toContain('PasswordAuthentication no');
  });

  it('starts Wi-Fi when a wireless interface appears, so a car without one never waits for it', () => {
    expect(files.get('/etc/udev/rules.d/80-edge-wifi.rules')).toMatch(/KERNEL=="wl\*".*SYSTEMD_WANTS.*wpa_supplicant@\$name\.service/);
    expect(osLinks().map((l) => l.path).filter((p) => p.includes('wpa_supplicant'))).toEqual([]);
    expect(files.get('/etc/systemd/system/wpa_supplicant@.service.d/edge.conf')).toContain('ConditionPathExists=/data/etc/wpa_supplicant-%I.conf');
  });

  it('pets the hardware watchdog, and loads the emulated devices only on the QEMU targets', () => {
    expect(files.get('/etc/systemd/system.conf.d/watchdog.conf')).toContain('RuntimeWatchdogSec=30s');
    expect(files.get('/etc/modules-load.d/edge.conf')).toContain('i2c-stub');
    const pi = new Map(osFiles(TARGET_SPECS['rpi-arm64'], os, options).map((f) => [f.path, f.content]));
    expect(pi.get('/etc/modules-load.d/edge.conf')).not.toContain('i2c-stub');
  });

  it('mounts the boot partition read-write for root only (RAUC edits the bootloader environment on it)', () => {
    expect(files.get('/etc/fstab')).toMatch(/^LABEL=EDGEBOOT \/boot\/firmware vfat [^ ]*\bumask=0077\b/m);
    expect(files.get('/etc/fstab')).not.toMatch(/^LABEL=EDGEBOOT .*\bro\b/m);
  });

  it('states the build as whole seconds since the epoch, and refuses one that is not', () => {
    expect(osReleaseText(os)).toContain('EDGE_OS_BUILD=1796601600\n');
    expect(() => osFiles(TARGET_SPECS['qemu-x86_64'], { ...os, build: 1.5 }, options)).toThrow(/whole seconds/);
    expect(files.get('/etc/rauc/keyring.pem')).toBe(CA);
    expect(osLinks().map((l) => l.path)).toEqual(expect.arrayContaining(['/etc/systemd/system/multi-user.target.wants/edge-os-reboot.path', '/etc/systemd/system/multi-user.target.wants/edge-os-mark-good.service']));
  });

  it('states one OS version, read back bounded', () => {
    expect(parseOsRelease(osReleaseText(os))).toEqual({ version: '0.1.0-1a2b3c4d', target: 'qemu-x86_64' });
    expect(parseOsRelease('EDGE_OS_VERSION=$(reboot)\n')).toBeUndefined();
    expect(parseOsRelease('')).toBeUndefined();
  });

  it('adds the car user to the i2c and video groups once', () => {
    const once = withCarUser({ passwd: 'root:x:0:0::/root:/bin/sh\n', group: 'root:x:0:\nvideo:x:44:\ni2c:x:108:pi\n', shadow: 'root:*:1::::::\n' });
    expect(once.passwd).toContain('edge:x:990:990:');
    expect(once.group).toContain('video:x:44:edge');
    expect(once.group).toContain('i2c:x:108:pi,edge');
    expect(withCarUser(once)).toEqual(once);
  });
});
