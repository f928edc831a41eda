/**
 * The kernel modules a car never loads, left out of the image: Debian's kernel carries drivers for
 * every PC and server (GPUs, sound, InfiniBand, cluster file systems, …): about half of the root file
 * system. What stays: storage (SD, USB, virtio), networking and Wi-Fi (brcmfmac on the Pi), I2C, the
 * camera paths (UVC webcams, the Pi's V4L2 and the test device vivid), HID, watchdogs.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Folders under /usr/lib/modules/<release>/kernel/ removed whole. */
export const UNUSED_MODULE_DIRS: readonly string[] = [
  'sound',
  'drivers/gpu',
  'drivers/infiniband',
  'drivers/isdn',
  'drivers/staging',
  'drivers/iio',
  'drivers/target',
  // drivers/md goes too, except device-mapper's verity target (KEPT_MODULES): RAUC checks a bundle through it
  'drivers/md',
  'drivers/nvme',
  'drivers/ata',
  'drivers/atm',
  'drivers/fpga',
  'drivers/edac',
  'drivers/misc/habanalabs',
  'drivers/net/ethernet/mellanox',
  'drivers/net/ethernet/intel/ice',
  'drivers/net/ethernet/chelsio',
  'drivers/net/ethernet/qlogic',
  'drivers/net/ethernet/sfc',
  'drivers/net/ethernet/broadcom/bnx2x',
  'drivers/net/wireless/ath',
  'drivers/net/wireless/intel',
  'drivers/net/wireless/mediatek',
  'drivers/net/wireless/realtek',
  'drivers/net/wireless/marvell',
  'drivers/net/wireless/ti',
  'drivers/media/dvb-frontends',
  'drivers/media/tuners',
  'drivers/media/pci',
  'drivers/media/dvb-core',
  'drivers/media/usb/dvb-usb',
  'drivers/media/usb/dvb-usb-v2',
  // rc-core stays (drivers/media/rc/rc-core.ko): cec needs it, and vivid needs cec
  'drivers/media/rc/keymaps',
  'fs/btrfs',
  'fs/xfs',
  'fs/ocfs2',
  'fs/gfs2',
  'fs/nfs',
  'fs/nfsd',
  'fs/smb',
  'fs/cifs',
  'fs/ceph',
  'fs/jfs',
  'fs/reiserfs',
  'fs/f2fs',
  'fs/ntfs3',
  'fs/ubifs',
  'net/sunrpc',
  'net/ceph',
];

/** Module files kept inside the removed folders (paths under kernel/, without the compression suffix). */
export const KEPT_MODULES: readonly string[] = ['drivers/md/dm-mod.ko', 'drivers/md/dm-bufio.ko', 'drivers/md/dm-verity.ko'];

/** What RAUC loads to install a verity bundle: the bundle is a squashfs on a loop device under dm-verity. */
export const RAUC_MODULES: readonly string[] = ['loop', 'squashfs', 'dm-verity'];

/** Removes the unused module folders of one kernel tree (but the kept modules); returns the bytes removed. */
export function pruneModules(modulesRoot: string): number {
  let removed = 0;
  for (const release of fs.readdirSync(modulesRoot)) {
    for (const dir of UNUSED_MODULE_DIRS) {
      const full = path.join(modulesRoot, release, 'kernel', dir);
      if (!fs.existsSync(full)) continue;
      const kernelDir = path.join(modulesRoot, release, 'kernel');
      const kept = (file: string): boolean => KEPT_MODULES.includes(path.relative(kernelDir, file).replace(/\.ko\.[a-z]+$/, '.ko'));
      for (const entry of fs.readdirSync(full, { withFileTypes: true, recursive: true })) {
        const file = path.join(entry.parentPath, entry.name);
        if (!entry.isFile() || kept(file)) continue;
        removed += fs.statSync(file).size;
        fs.rmSync(file);
      }
      removeEmptyDirs(full);
    }
  }
  return removed;
}

function removeEmptyDirs(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeEmptyDirs(path.join(dir, entry.name));
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

/**
 * The modules among `wanted` that would not load from this tree, each with what is missing: absent
 * itself, or a dependency (from depmod's `modules.dep`) that the pruning removed. Names as modprobe
 * takes them (`i2c-stub` or `i2c_stub`); one built into the kernel (`modules.builtin`) always loads.
 */
export function unloadableModules(modulesDep: string, exists: (relativePath: string) => boolean, wanted: readonly string[], modulesBuiltin = ''): string[] {
  const builtin = new Set(modulesBuiltin.split('\n').filter(Boolean).map(moduleName));
  const byName = new Map<string, { file: string; deps: string[] }>();
  const byFile = new Map<string, string[]>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon);
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    byName.set(moduleName(file), { file, deps });
    byFile.set(file, deps);
  }
  const problems: string[] = [];
  for (const name of wanted) {
    const entry = byName.get(name.replaceAll('-', '_'));
    if (!entry && builtin.has(name.replaceAll('-', '_'))) continue;
    if (!entry) {
      problems.push(`${name}: not in the kernel's modules.dep`);
      continue;
    }
    const missing = withDependencies(entry.file, byFile).filter((file) => !exists(file));
    if (missing.length > 0) problems.push(`${name}: missing ${missing.join(', ')}`);
  }
  return problems;
}

/** `file` and every module it needs, however deep (depmod lists them all, but a hand-edited file may not). */
function withDependencies(file: string, byFile: ReadonlyMap<string, readonly string[]>): string[] {
  const seen = new Set<string>();
  const visit = (next: string): void => {
    if (seen.has(next)) return;
    seen.add(next);
    for (const dep of byFile.get(next) ?? []) visit(dep);
  };
  visit(file);
  return [...seen];
}

/** `kernel/drivers/media/rc/rc-core.ko.xz` → `rc_core`. */
function moduleName(file: string): string {
  return path.basename(file).replace(/\.ko(\.[a-z]+)?$/, '').replaceAll('-', '_');
}
