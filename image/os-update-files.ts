/**
 * The image's part of OS updates, as text: RAUC's system configuration (the slots, the bootloader
 * backend, the keyring that decides which bundles a car accepts), the pre-install handler that refuses
 * a bundle older than the running OS, the D-Bus policy that lets the car's user drive RAUC, RAUC's
 * service at the lowest CPU and I/O priority, the root path unit that reboots when the agent asks,
 * the unit that marks a normally booted slot good, and the folders on the data partition. Pure: the
 * keyring's PEM text is an input.
 */
import { OS_CHUNK_STORE_URL, OS_PRE_INSTALL_REFUSAL_FILE } from '../runtime/index.ts';
import { CAR_LAYOUT, CAR_USER } from './os-layout.ts';
import type { Target } from './targets.ts';

/** Where the OS-update pieces live on the car. */
export const OS_UPDATE_LAYOUT = {
  systemConf: '/etc/rauc/system.conf',
  keyring: '/etc/rauc/keyring.pem',
  preInstall: '/usr/lib/edge/rauc-pre-install',
  /** the handler's last refusal, one line (RAUC 1.8's LastError says only "exited with code 1"); root-owned /run, readable by the agent */
  preInstallRefusal: OS_PRE_INSTALL_REFUSAL_FILE,
  markGood: '/usr/lib/edge/os-mark-good',
  /** RAUC's central status file and slot data (survives OS updates) */
  raucData: '/data/rauc',
  /** the agent's OS folder: bundles, trial marker, reboot request, outcome record */
  osDir: '/data/edge/os',
  rebootRequest: '/data/edge/os/reboot-request',
  trialMarker: '/data/edge/os/trial.json',
  /** GRUB's environment on the ESP (x86_64) */
  grubenv: '/boot/firmware/EFI/BOOT/grubenv',
  /** U-Boot's environment as a file on the FAT boot partition (arm64) */
  ubootEnv: '/boot/firmware/uboot.env',
} as const;

/** The bootnames RAUC and the bootloader share, slot A first. */
export const SLOT_BOOTNAMES = ['A', 'B'] as const;
export type SlotBootname = (typeof SLOT_BOOTNAMES)[number];

/** GRUB's environment block: exactly this size (grub-editenv's own). */
export const GRUBENV_BYTES = 1024;
/** The uboot.env file's size: U-Boot's `env export -c` pads to it, fw_env.config and mkenvimage must say the same. */
export const UBOOT_ENV_BYTES = 0x4000;
/** Boot attempts per slot under U-Boot before it falls back to the other one. */
export const UBOOT_BOOT_ATTEMPTS = 3;

/** The RAUC compatible string of a target's images (bundles for another target are refused). */
export function compatibleOf(target: Pick<Target, 'name'>): string {
  return `edge-car-${target.name}`;
}

export interface SlotDevice {
  bootname: SlotBootname;
  /** the block device RAUC writes, e.g. /dev/disk/by-partlabel/rootB */
  device: string;
}

/** The slots' devices: by GPT name on the QEMU targets, by the MBR's PARTUUID on the Pi. */
export function slotDevices(partitionReferences: Readonly<Record<SlotBootname, string>>): SlotDevice[] {
  return SLOT_BOOTNAMES.map((bootname) => {
    const reference = partitionReferences[bootname];
    const match = /^(PARTLABEL|PARTUUID)=([A-Za-z0-9-]+)$/.exec(reference);
    if (!match) throw new Error(`slot ${bootname}: cannot name a device for the partition reference '${reference}'`);
    return { bootname, device: `/dev/disk/by-${match[1]!.toLowerCase()}/${match[2]!}` };
  });
}

export function raucSystemConf(target: Target, slots: readonly SlotDevice[]): string {
  const bootloader = target.boot === 'grub-efi' ? ['bootloader=grub', `grubenv=${OS_UPDATE_LAYOUT.grubenv}`] : ['bootloader=uboot', `boot-attempts=${UBOOT_BOOT_ATTEMPTS}`, `boot-attempts-primary=${UBOOT_BOOT_ATTEMPTS}`];
  return [
    `# edge car OS (${target.name}): root slots A and B, written by RAUC from signed verity bundles`,
    '[system]',
    `compatible=${compatibleOf(target)}`,
    ...bootloader,
    // verity only: every block of the bundle is checked as it is read (a plain bundle is checked once, then trusted)
    'bundle-formats=-plain -crypt',
    // the central status file and slot data on the data partition: the installed versions survive an OS update
    `data-directory=${OS_UPDATE_LAYOUT.raucData}`,
    '',
    '[keyring]',
    `path=${OS_UPDATE_LAYOUT.keyring}`,
    // the signing certificate is code-signing only (extendedKeyUsage codeSigning)
    'check-purpose=codesign',
    '',
    '[handlers]',
    `pre-install=${OS_UPDATE_LAYOUT.preInstall}`,
    '',
    // a chunked (casync) bundle carries only its image's signed index: casync takes each chunk from
    // the running slot when it has it, else from the agent's loopback proxy to the NUC's chunk store
    '[casync]',
    `storepath=${OS_CHUNK_STORE_URL}`,
    `tmppath=${OS_UPDATE_LAYOUT.raucData}/tmp`,
    '',
    ...slots.flatMap((slot, index) => [`[slot.rootfs.${index}]`, `device=${slot.device}`, 'type=ext4', `bootname=${slot.bootname}`, '']),
  ].join('\n');
}

/**
 * RAUC's pre-install handler (root, before any slot is written): refuses a bundle whose build (the
 * manifest's `[update] build=`, seconds since the epoch) is older than the running OS's
 * `EDGE_OS_BUILD`, so a validly signed but older bundle cannot roll a car back. RAUC 1.8 passes no
 * manifest field to a system handler, so it reads the manifest in the mounted bundle (verity-checked,
 * covered by the signature). `<< error …` is RAUC's handler protocol for the reason; RAUC 1.8's
 * LastError carries only the exit code, so the reason is also left in /run for the agent to read.
 */
export function preInstallHandler(osReleaseFile: string = CAR_LAYOUT.osRelease, refusalFile: string = OS_UPDATE_LAYOUT.preInstallRefusal): string {
  return `#!/bin/sh
# edge car OS: RAUC pre-install handler. Refuses a bundle built before the running OS (rollback protection).
release='${osReleaseFile}'
refusal='${refusalFile}'
rm -f "$refusal"
refuse() {
  echo "<< error $1"
  echo "edge-os: refusing the bundle: $1" >&2
  # RAUC reports only the exit code: the reason, for the agent
  printf '%s\\n' "$1" > "$refusal" 2>/dev/null
  exit 1
}
# 1 to 12 digits, nothing else: a value the shell compares as a number
number() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
  [ \${#1} -le 12 ]
}
running=$(sed -n 's/^EDGE_OS_BUILD=\\(.*\\)$/\\1/p' "$release" 2>/dev/null | head -n 1)
number "$running" || refuse "the running OS states no build (EDGE_OS_BUILD in $release is '$running'); cannot tell an older bundle"
manifest="\${RAUC_BUNDLE_MOUNT_POINT:-}/manifest.raucm"
[ -n "\${RAUC_BUNDLE_MOUNT_POINT:-}" ] && [ -f "$manifest" ] || refuse "the bundle's manifest ($manifest) is not readable"
build=$(sed -n '/^\\[update\\][[:space:]]*$/,/^\\[/s/^build[[:space:]]*=[[:space:]]*\\([^[:space:]]*\\)[[:space:]]*$/\\1/p' "$manifest" | head -n 1)
number "$build" || refuse "the bundle's manifest has no valid [update] build= (got '$build'; seconds since the epoch of its OS build)"
version=$(sed -n '/^\\[update\\][[:space:]]*$/,/^\\[/s/^version[[:space:]]*=[[:space:]]*\\([A-Za-z0-9._+-]\\{1,64\\}\\)[[:space:]]*$/\\1/p' "$manifest" | head -n 1)
if [ "$build" -lt "$running" ]; then
  refuse "bundle \${version:-?} (build $build) is older than the running OS (build $running): an OS update never goes back"
fi
echo "edge-os: bundle \${version:-?} build $build, running build $running: accepted"
exit 0
`;
}

/**
 * Run once per boot when the system is up: RAUC's schemes count a boot as a try until the slot is
 * marked good, so a slot that booted to the end is marked good, unless it is an OS update on trial
 * (the agent's trial marker names the booted slot), which the agent marks good or bad itself.
 */
export function markGoodScript(cmdline = '/proc/cmdline', trialMarker: string = OS_UPDATE_LAYOUT.trialMarker, rauc = 'rauc'): string {
  return `#!/bin/sh
# edge car OS: marks the booted slot good, unless it is an OS update on trial (the agent decides that one)
slot=$(tr ' ' '\\n' < '${cmdline}' | sed -n 's/^rauc\\.slot=\\([AB]\\)$/\\1/p' | head -n 1)
if [ -z "$slot" ]; then
  echo "edge-os: the kernel command line names no slot (rauc.slot=A|B): nothing to mark"
  exit 0
fi
if [ -f '${trialMarker}' ] && grep -q "\\"slot\\"[[:space:]]*:[[:space:]]*\\"$slot\\"" '${trialMarker}'; then
  echo "edge-os: slot $slot is on trial (${trialMarker}): the agent marks it good or bad"
  exit 0
fi
echo "edge-os: slot $slot booted: marking it good"
exec ${rauc} status mark-good booted
`;
}

/** The system bus: only root and the car's user may talk to RAUC (Debian's own policy lets anyone). */
export function raucDbusPolicy(): string {
  return [
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"',
    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
    '<!-- edge car OS: read after /usr/share/dbus-1/system.d, so its rules win -->',
    '<busconfig>',
    '  <policy context="default">',
    '    <deny send_destination="de.pengutronix.rauc"/>',
    '  </policy>',
    '  <policy user="root">',
    '    <allow send_destination="de.pengutronix.rauc"/>',
    '  </policy>',
    `  <policy user="${CAR_USER.name}">`,
    '    <allow send_destination="de.pengutronix.rauc"/>',
    '  </policy>',
    '</busconfig>',
    '',
  ].join('\n');
}

/** /etc/fw_env.config: fw_printenv/fw_setenv (RAUC's uboot backend) edit the uboot.env file U-Boot imports. */
export function fwEnvConfig(): string {
  return ['# edge car OS: U-Boot\'s environment is a file on the FAT boot partition (U-Boot: env import -c / env export -c + fatwrite)', `# file offset size`, `${OS_UPDATE_LAYOUT.ubootEnv} 0x0 0x${UBOOT_ENV_BYTES.toString(16)}`, ''].join('\n');
}

const unit = (sections: Record<string, readonly string[]>): string =>
  Object.entries(sections)
    .map(([name, lines]) => `[${name}]\n${lines.join('\n')}\n`)
    .join('\n');

export interface UpdateFile {
  path: string;
  content: string;
  mode?: number;
}

/** Every OS-update file of a target's image. */
export function osUpdateFiles(target: Target, options: { keyringPem: string; slots: readonly SlotDevice[] }): UpdateFile[] {
  const L = OS_UPDATE_LAYOUT;
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(options.keyringPem)) throw new Error('the RAUC keyring must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
  const files: UpdateFile[] = [
    { path: L.systemConf, content: raucSystemConf(target, options.slots) },
    { path: L.keyring, content: options.keyringPem.endsWith('\n') ? options.keyringPem : `${options.keyringPem}\n` },
    { path: L.preInstall, content: preInstallHandler(), mode: 0o755 },
    { path: L.markGood, content: markGoodScript(), mode: 0o755 },
    { path: '/etc/dbus-1/system.d/edge-rauc.conf', content: raucDbusPolicy() },
    {
      // an install reads and writes a whole slot: it yields to the drive loop for CPU and for the card.
      // Nice 19 and the lowest best-effort disk priority, not the idle classes: on a busy car (under
      // TCG, always) SCHED_IDLE starved RAUC's service so long that it never answered D-Bus
      path: '/etc/systemd/system/rauc.service.d/edge.conf',
      content: unit({ Unit: [`RequiresMountsFor=${CAR_LAYOUT.data} ${CAR_LAYOUT.boot}`], Service: ['Nice=19', 'IOSchedulingClass=best-effort', 'IOSchedulingPriority=7'] }),
    },
    {
      // the agent (user edge) cannot reboot; it asks by writing this file, root reboots cleanly
      path: '/etc/systemd/system/edge-os-reboot.path',
      content: unit({ Unit: ['Description=Edge car OS: reboot when the agent asks (an installed OS update)', `RequiresMountsFor=${CAR_LAYOUT.data}`], Path: [`PathExists=${L.rebootRequest}`, 'Unit=edge-os-reboot.service'], Install: ['WantedBy=multi-user.target'] }),
    },
    {
      path: '/etc/systemd/system/edge-os-reboot.service',
      content: unit({
        Unit: ['Description=Edge car OS: reboot asked for by the agent', `RequiresMountsFor=${CAR_LAYOUT.data}`],
        // removed before the reboot, so a request never reboots the next boot too
        Service: ['Type=oneshot', `ExecStart=/bin/rm -f ${L.rebootRequest}`, 'ExecStart=/bin/sync', 'ExecStart=/bin/systemctl --no-block reboot', 'StandardOutput=journal+console'],
      }),
    },
    {
      // RAUC's schemes count a boot as a try until the slot is marked good: a slot that booted to the
      // end is good, unless it is an OS update on trial (the agent's marker names it), which the agent
      // marks good or bad after its health check
      path: '/etc/systemd/system/edge-os-mark-good.service',
      content: unit({
        // after multi-user.target, which wants it: without default dependencies, or the target would be ordered after it (a cycle)
        Unit: [
          'Description=Edge car OS: mark the booted slot good (not an OS update on trial)',
          'DefaultDependencies=no',
          'Requires=sysinit.target',
          'After=sysinit.target basic.target multi-user.target dbus.service',
          'Conflicts=shutdown.target',
          'Before=shutdown.target',
          `RequiresMountsFor=${CAR_LAYOUT.data}`,
        ],
        Service: ['Type=oneshot', 'RemainAfterExit=yes', `ExecStart=${L.markGood}`, 'StandardOutput=journal+console'],
        Install: ['WantedBy=multi-user.target'],
      }),
    },
    {
      path: '/etc/tmpfiles.d/edge-os.conf',
      content: ['# edge car OS: RAUC\'s status (root) and the agent\'s OS folder (the car\'s user), on the data partition', `d ${L.raucData} 0700 root root -`, `d ${L.raucData}/tmp 0700 root root -`, `d ${L.osDir} 0750 ${CAR_USER.name} ${CAR_USER.name} -`, ''].join('\n'),
    },
  ];
  if (target.boot !== 'grub-efi') files.push({ path: '/etc/fw_env.config', content: fwEnvConfig() });
  return files;
}

/** Units switched on. */
export function osUpdateLinks(): Array<{ path: string; target: string }> {
  const wants = '/etc/systemd/system/multi-user.target.wants';
  return [
    { path: `${wants}/edge-os-reboot.path`, target: '/etc/systemd/system/edge-os-reboot.path' },
    { path: `${wants}/edge-os-mark-good.service`, target: '/etc/systemd/system/edge-os-mark-good.service' },
  ];
}
