/**
 * Debian bookworm's root file system for one CPU, made by mmdebstrap from Debian's archive (main and
 * non-free-firmware, in a sources list of the build's own) and cached by its inputs: the package
 * list, the suite, the mirror and these options.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cachedDir, inputsHash } from './cache.ts';
import { runTool } from './tools.ts';
import type { DebianArch } from './targets.ts';

export const SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';
/** documentation and translations stay out of the image (copyright files stay: they are the licences) */
const DPKG_OPTIONS = ['path-exclude=/usr/share/man/*', 'path-exclude=/usr/share/doc/*', 'path-include=/usr/share/doc/*/copyright', 'path-exclude=/usr/share/locale/*', 'path-exclude=/usr/share/info/*'];
/** smaller initramfs: the modules a car's disk, SD card and USB need, not every storage driver */
const INITRAMFS_CONF = 'MODULES=most\nCOMPRESS=zstd\n';
const RECIPE_VERSION = 3;
/**
 * The initramfs is made once, after every package is in: installing the kernel makes one and
 * initramfs-tools' trigger makes it again once other packages add hooks (udev, kmod, the Pi's
 * firmware), and under qemu-user (an arm64 tree on an x86 host) each run takes many minutes.
 * update-initramfs is diverted to a no-op while packages install, then restored and run.
 */
const UPDATE_INITRAMFS = '/usr/sbin/update-initramfs';
const HOLD_INITRAMFS = `chroot "$1" dpkg-divert --quiet --local --rename --add ${UPDATE_INITRAMFS} && printf '#!/bin/sh\\nexit 0\\n' > "$1${UPDATE_INITRAMFS}" && chmod 755 "$1${UPDATE_INITRAMFS}"`;
const MAKE_INITRAMFS = `rm -f "$1${UPDATE_INITRAMFS}" && chroot "$1" dpkg-divert --quiet --local --rename --remove ${UPDATE_INITRAMFS} && chroot "$1" update-initramfs -c -k all`;

export interface RootfsOptions {
  arch: DebianArch;
  packages: readonly string[];
  mirror: string;
  cacheDir: string;
  progress(line: string): void;
}

/** The sources list: one line per suite, main and non-free-firmware (the Pi's boot and Wi-Fi firmware). */
export function sourcesList(mirror: string): string {
  return [`deb ${mirror} ${SUITE} main non-free-firmware`, `deb ${mirror} ${SUITE}-updates main non-free-firmware`, `deb ${SECURITY} ${SUITE}-security main non-free-firmware`, ''].join('\n');
}

/** mmdebstrap's arguments; pure, for the cache key and the tests. */
export function mmdebstrapArgs(options: Pick<RootfsOptions, 'arch' | 'packages' | 'mirror'>, out: string, sourcesFile: string): string[] {
  return [
    '--variant=minbase',
    '--mode=root',
    '--format=directory',
    `--architectures=${options.arch}`,
    `--include=${[...options.packages].sort().join(',')}`,
    '--aptopt=APT::Install-Recommends "false"',
    ...DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`),
    `--setup-hook=mkdir -p "$1/etc/initramfs-tools/conf.d" && printf '${INITRAMFS_CONF.replaceAll('\n', '\\n')}' > "$1/etc/initramfs-tools/conf.d/edge.conf"`,
    `--essential-hook=${HOLD_INITRAMFS}`,
    `--customize-hook=${MAKE_INITRAMFS}`,
    SUITE,
    out,
    sourcesFile,
  ];
}

export async function ensureRootfs(options: RootfsOptions): Promise<{ dir: string; hit: boolean; key: string }> {
  const key = `${options.arch}-${inputsHash({ packages: [...options.packages].sort(), mirror: options.mirror, suite: SUITE, dpkg: DPKG_OPTIONS, initramfs: INITRAMFS_CONF, hooks: [HOLD_INITRAMFS, MAKE_INITRAMFS], v: RECIPE_VERSION })}`;
  const result = await cachedDir(path.join(options.cacheDir, 'rootfs'), key, async (dir) => {
    const sources = path.join(dir, 'sources.list');
    fs.writeFileSync(sources, sourcesList(options.mirror));
    const tree = path.join(dir, 'root');
    options.progress(`rootfs: mmdebstrap ${SUITE} ${options.arch}, ${options.packages.length} packages and their dependencies (several minutes the first time)`);
    await runTool('mmdebstrap', mmdebstrapArgs(options, tree, sources), {
      onLine: (line) => {
        if (line.startsWith('I: ')) options.progress(`rootfs: ${line.slice(3)}`);
      },
    });
  }, (owner) => options.progress(`rootfs: another build (pid ${owner}) is making it; waiting for it`));
  return { dir: path.join(result.dir, 'root'), hit: result.hit, key };
}

export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
}

/** Every installed package from dpkg's status file (`Status: install ok installed`). */
export function installedPackages(statusText: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const stanza of statusText.split(/\n\n+/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1];
    const name = field('Package');
    const version = field('Version');
    if (name && version && field('Status') === 'install ok installed') out.push({ name, version, arch: field('Architecture') ?? '' });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
