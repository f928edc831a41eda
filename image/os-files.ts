/**
 * The files the image adds to Debian's root file system to make it the car's OS, as text: mounts
 * (root read-only, the data partition for everything written), the car's services under systemd,
 * first-boot provisioning, volatile logs, the watchdog, networking, SSH with keys only. Pure: the
 * builder writes them into the tree; tests read them.
 */
import { CAR_LAYOUT, CAR_USER } from './os-layout.ts';
import { osUpdateFiles, osUpdateLinks, type SlotDevice } from './os-update-files.ts';
import { MODULE_OPTIONS, type Target } from './targets.ts';

export { CAR_LAYOUT, CAR_USER } from './os-layout.ts';

export interface OsIdentity {
  /** e.g. 0.1.0-3f2a9c1b */
  version: string;
  target: string;
  nodeVersion: string;
  builtAt: string;
  /** the build's time in whole seconds since the epoch: orderable, unlike the version (a bundle older than the running OS is refused) */
  build: number;
}

export interface OsFileOptions {
  /** the RAUC keyring: the OS code-signing CA's certificate, PEM */
  keyringPem: string;
  /** root slots A and B as RAUC writes them */
  slots: readonly SlotDevice[];
}

export interface OsFile {
  /** absolute path in the root file system */
  path: string;
  content: string;
  mode?: number;
}

export interface OsLink {
  path: string;
  target: string;
}

/** The OS version line the agent reports: KEY=value lines, like /etc/os-release. */
export function osReleaseText(os: Omit<OsIdentity, 'build'> & { build?: number }): string {
  return [`EDGE_OS_VERSION=${os.version}`, `EDGE_OS_TARGET=${os.target}`, `EDGE_OS_NODE=${os.nodeVersion}`, `EDGE_OS_BUILT=${os.builtAt}`, ...(os.build === undefined ? [] : [`EDGE_OS_BUILD=${os.build}`]), ''].join('\n');
}

const unit = (sections: Record<string, readonly string[]>): string =>
  Object.entries(sections)
    .map(([name, lines]) => `[${name}]\n${lines.join('\n')}\n`)
    .join('\n');

export function osFiles(target: Target, os: OsIdentity, options: OsFileOptions): OsFile[] {
  const L = CAR_LAYOUT;
  const node = L.node;
  if (!Number.isSafeInteger(os.build) || os.build < 0) throw new Error(`the OS build must be whole seconds since the epoch, got ${os.build}`);
  return [
    { path: L.osRelease, content: osReleaseText(os) },
    { path: '/etc/hostname', content: 'edge-car\n' },
    { path: '/etc/hosts', content: '127.0.0.1 localhost\n127.0.1.1 edge-car\n::1 localhost ip6-localhost ip6-loopback\n' },
    {
      // no root line: the kernel mounts the booted slot read-only (`ro` on its command line), whichever slot that is
      path: '/etc/fstab',
      content: [
        '# <file system> <mount point> <type> <options> <dump> <pass>',
        // a slow card (or an emulated one on a busy host) may take longer than systemd's default 90 s to show up;
        // read-write for root only (umask): RAUC edits the bootloader's environment on it (flush: written out at once), nobody else reads it
        `LABEL=EDGEBOOT ${L.boot} vfat defaults,noatime,flush,umask=0077,x-systemd.device-timeout=10min 0 2`,
        `LABEL=data ${L.data} ext4 defaults,noatime,commit=30,x-systemd.device-timeout=10min 0 2`,
        'tmpfs /tmp tmpfs mode=1777,size=128M,nosuid,nodev 0 0',
        'tmpfs /var/tmp tmpfs mode=1777,size=32M,nosuid,nodev 0 0',
        'tmpfs /var/log tmpfs mode=0755,size=16M 0 0',
        'tmpfs /var/lib/systemd tmpfs mode=0755,size=8M 0 0',
        'tmpfs /var/lib/private tmpfs mode=0700,size=8M 0 0',
        'tmpfs /var/cache tmpfs mode=0755,size=16M 0 0',
        '',
      ].join('\n'),
    },
    // logs live in RAM, capped: an SD card is not worn by them; the car's own logs are on the data partition
    { path: '/etc/systemd/journald.conf.d/edge.conf', content: unit({ Journal: ['Storage=volatile', 'RuntimeMaxUse=32M', 'ForwardToConsole=no'] }) },
    // a hung kernel or a hung systemd stops petting the hardware watchdog (bcm2835_wdt, i6300esb): the board resets
    { path: '/etc/systemd/system.conf.d/watchdog.conf', content: unit({ Manager: ['RuntimeWatchdogSec=30s', 'RebootWatchdogSec=2min'] }) },
    { path: '/etc/systemd/network/20-wired.network', content: unit({ Match: ['Name=en* eth*'], Network: ['DHCP=yes'], DHCPv4: ['UseDomains=no'] }) },
    { path: '/etc/systemd/network/25-wireless.network', content: unit({ Match: ['Name=wl*'], Network: ['DHCP=yes'] }) },
    // the NUC as time server when it runs one; Debian's pool when the car reaches the internet
    { path: '/etc/systemd/timesyncd.conf.d/edge.conf', content: unit({ Time: ['FallbackNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org'] }) },
    { path: '/etc/modules-load.d/edge.conf', content: `${target.modules.join('\n')}\n` },
    { path: '/etc/modprobe.d/edge.conf', content: `${target.modules.flatMap((module) => MODULE_OPTIONS[module] ?? []).join('\n')}\n` },
    {
      path: '/etc/ssh/sshd_config.d/edge.conf',
      content: ['PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', `AuthorizedKeysFile ${L.ssh}/authorized_keys`, `HostKey ${L.ssh}/ssh_host_ed25519_key`, ''].join('\n'),
    },
    {
      // SSH is off unless first boot provisioned a key; the host key is made on the car, never shipped in the image
      path: '/etc/systemd/system/ssh.service.d/edge.conf',
      content: unit({ Unit: [`ConditionPathExists=${L.ssh}/authorized_keys`], Service: [`ExecStartPre=/bin/sh -c 'test -f ${L.ssh}/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f ${L.ssh}/ssh_host_ed25519_key'`] }),
    },
    {
      // Wi-Fi starts when a wireless interface appears, never waited for: a car on Ethernet (or a QEMU
      // guest) would otherwise hold network.target, and the car's start, for systemd's 90 s device timeout
      path: '/etc/udev/rules.d/80-edge-wifi.rules',
      content: 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="wl*", TAG+="systemd", ENV{SYSTEMD_WANTS}+="wpa_supplicant@$name.service"\n',
    },
    {
      path: '/etc/systemd/system/wpa_supplicant@.service.d/edge.conf',
      content: unit({ Unit: [`ConditionPathExists=${L.etc}/wpa_supplicant-%I.conf`], Service: ['ExecStart=', `ExecStart=/sbin/wpa_supplicant -c${L.etc}/wpa_supplicant-%I.conf -Dnl80211,wext -i%I`] }),
    },
    {
      path: '/etc/systemd/system/edge-provision.service',
      content: unit({
        Unit: ['Description=Edge car first-boot provisioning (edge-car.yaml on the boot partition)', 'After=local-fs.target', 'RequiresMountsFor=/data', 'Before=edge-car.service wpa_supplicant@wlan0.service ssh.service'],
        Service: ['Type=oneshot', 'RemainAfterExit=yes', `ExecStart=${node} ${L.app}/car-os.js provision`, 'StandardOutput=journal+console', 'StandardError=journal+console'],
        Install: ['WantedBy=multi-user.target'],
      }),
    },
    {
      // TUF metadata expires: a car without a battery-backed clock boots in the past, so before the
      // agent's first poll the clock is stepped forward to the NUC's (forward only; timesyncd refines it)
      path: '/etc/systemd/system/edge-clock.service',
      content: unit({
        Unit: ['Description=Edge car clock from the NUC before the first update poll', 'After=edge-provision.service network.target', 'Requires=edge-provision.service', 'Before=edge-car.service'],
        Service: ['Type=oneshot', 'RemainAfterExit=yes', `ExecStart=${node} ${L.app}/car-os.js clock`, `Environment=EDGE_CONFIG=${L.config}`, 'StandardOutput=journal+console', 'TimeoutStartSec=60'],
        Install: ['WantedBy=multi-user.target'],
      }),
    },
    {
      path: '/etc/systemd/system/edge-car.service',
      content: unit({
        Unit: ['Description=Edge car services (launcher, from the bundle under plain node)', 'Requires=edge-provision.service', 'Wants=edge-clock.service', 'After=edge-provision.service edge-clock.service network.target'],
        Service: [
          `User=${CAR_USER.name}`,
          `Environment=EDGE_CONFIG=${L.config}`,
          `WorkingDirectory=${L.carData}`,
          `ExecStart=${node} ${L.app}/car-os.js run`,
          'Restart=always',
          'RestartSec=2',
          'KillMode=mixed',
          'TimeoutStopSec=15',
          'StandardOutput=journal+console',
          'StandardError=journal+console',
        ],
        Install: ['WantedBy=multi-user.target'],
      }),
    },
    ...osUpdateFiles(target, options),
  ];
}

/** Units switched on (what `systemctl enable` would link). */
export function osLinks(): OsLink[] {
  const wants = '/etc/systemd/system/multi-user.target.wants';
  return [
    { path: `${wants}/edge-provision.service`, target: '/etc/systemd/system/edge-provision.service' },
    { path: `${wants}/edge-clock.service`, target: '/etc/systemd/system/edge-clock.service' },
    { path: `${wants}/edge-car.service`, target: '/etc/systemd/system/edge-car.service' },
    { path: `${wants}/systemd-networkd.service`, target: '/lib/systemd/system/systemd-networkd.service' },
    { path: '/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service', target: '/lib/systemd/system/systemd-timesyncd.service' },
    { path: '/usr/local/bin/node', target: CAR_LAYOUT.node },
    ...osUpdateLinks(),
  ];
}

/** /etc/passwd, /etc/group and /etc/shadow with the car's user added (idempotent). */
export function withCarUser(files: { passwd: string; group: string; shadow: string }): { passwd: string; group: string; shadow: string } {
  const { name, uid, groups } = CAR_USER;
  const has = (text: string): boolean => text.split('\n').some((line) => line.startsWith(`${name}:`));
  const passwd = has(files.passwd) ? files.passwd : `${files.passwd.trimEnd()}\n${name}:x:${uid}:${uid}:edge car services:${CAR_LAYOUT.carData}:/usr/sbin/nologin\n`;
  let group = files.group
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [groupName, x, gid, members = ''] = line.split(':');
      if (!groups.includes(groupName as (typeof groups)[number])) return line;
      const list = members.split(',').filter(Boolean);
      return list.includes(name) ? line : `${groupName}:${x}:${gid}:${[...list, name].join(',')}`;
    })
    .join('\n');
  if (!has(group)) group += `\n${name}:x:${uid}:`;
  const shadow = has(files.shadow) ? files.shadow : `${files.shadow.trimEnd()}\n${name}:!:20000::::::\n`;
  return { passwd, group: `${group}\n`, shadow };
}
