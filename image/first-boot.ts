/**
 * First boot on the car (run as root by edge-provision.service before the car's services): reads
 * edge-car.yaml and the key folder from the boot partition, checks them, moves the secrets to the
 * data partition (0600) and deletes them from FAT, writes the car's configuration, Wi-Fi and SSH
 * files, and grows the data partition to the end of the disk. Any problem leaves the car unconfigured
 * (its services wait) and the reason, naming the field, goes to the console and the journal.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLIENT_KEY_FILES } from '../protocol/index.ts';
import { CAR_LAYOUT, CAR_USER } from './os-files.ts';
import {
  carConfigYaml,
  checkProvisioning,
  describeProblems,
  IDENTITY_FILE,
  MAX_PROVISION_BYTES,
  MAX_ROOT_BYTES,
  PAIR_DIR,
  PROVISION_FILE,
  ROOT_FILE,
  wpaSupplicantConf,
  type HardwareDefaults,
  type PairFiles,
} from './provisioning.ts';

/** What the console shows (the QEMU tests and a person at a serial cable read these). */
export const CONSOLE_MARKS = { done: 'EDGE-PROVISIONED', already: 'EDGE-PROVISION-KEPT', failed: 'EDGE-PROVISION-FAILED', waiting: 'EDGE-PROVISION-WAITING' } as const;

export interface FirstBootPaths {
  boot: string;
  carData: string;
  config: string;
  keys: string;
  root: string;
  ssh: string;
  etc: string;
}

export interface FirstBootOptions {
  paths: FirstBootPaths;
  defaults: HardwareDefaults;
  /** grow the data partition (off in unit tests, which have no disk of their own) */
  grow: boolean;
  /** chown the car's files to the car's user (off where the tests are not root) */
  chown: boolean;
  say(line: string): void;
}

export type FirstBootResult = 'provisioned' | 'kept' | 'failed' | 'waiting';

export const DEFAULT_PATHS: FirstBootPaths = {
  boot: CAR_LAYOUT.boot,
  carData: CAR_LAYOUT.carData,
  config: CAR_LAYOUT.config,
  keys: CAR_LAYOUT.keys,
  root: CAR_LAYOUT.root,
  ssh: CAR_LAYOUT.ssh,
  etc: CAR_LAYOUT.etc,
};

/** A file from the FAT partition, refused unread when it is larger than it can honestly be. */
function readSmall(file: string, limit: number): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  if (stat.size > limit) return 'x'.repeat(limit + 1); // the checks refuse it with the size named
  return fs.readFileSync(file, 'utf8');
}

function readPairFiles(dir: string): PairFiles {
  const names = [CLIENT_KEY_FILES.secretKey, CLIENT_KEY_FILES.publicKey, CLIENT_KEY_FILES.serverKey, IDENTITY_FILE, ROOT_FILE];
  return Object.fromEntries(names.map((name) => [name, readSmall(path.join(dir, name), name === ROOT_FILE ? MAX_ROOT_BYTES : 4096)]));
}

function writePrivate(file: string, content: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp`;
  fs.writeFileSync(temp, content, { mode });
  fs.chmodSync(temp, mode);
  const fd = fs.openSync(temp, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(temp, file);
}

export function runFirstBoot(options: FirstBootOptions): FirstBootResult {
  const { paths, say } = options;
  const yamlFile = path.join(paths.boot, PROVISION_FILE);
  const yamlText = readSmall(yamlFile, MAX_PROVISION_BYTES);
  if (yamlText === undefined) {
    if (fs.existsSync(paths.config)) {
      say(`${CONSOLE_MARKS.already} the car keeps its configuration (${paths.config})`);
      return 'kept';
    }
    say(`${CONSOLE_MARKS.waiting} ${PROVISION_FILE}: missing on the boot partition; the car's services wait (put ${PROVISION_FILE} and the ${PAIR_DIR}/ folder there, or run \`npm run image -- provision\`)`);
    return 'waiting';
  }
  const result = checkProvisioning(yamlText, readPairFiles(path.join(paths.boot, PAIR_DIR)));
  if (!result.ok) {
    say(`${CONSOLE_MARKS.failed} ${describeProblems(result.problems)}; the car's services wait until ${PROVISION_FILE} is fixed`);
    return 'failed';
  }
  const { provisioning } = result;
  const { file } = provisioning;
  writePrivate(path.join(paths.keys, CLIENT_KEY_FILES.secretKey), `${provisioning.keys.secretKey}\n`);
  writePrivate(path.join(paths.keys, CLIENT_KEY_FILES.publicKey), `${provisioning.keys.publicKey}\n`);
  writePrivate(path.join(paths.keys, CLIENT_KEY_FILES.serverKey), `${provisioning.keys.serverKey}\n`);
  if (provisioning.root !== undefined) writePrivate(paths.root, provisioning.root);
  writePrivate(paths.config, carConfigYaml(provisioning, { dataDir: paths.carData, keysDir: paths.keys, rootFile: paths.root }, options.defaults), 0o640);
  const wifiFile = path.join(paths.etc, 'wpa_supplicant-wlan0.conf');
  if (file.wifi) writePrivate(wifiFile, wpaSupplicantConf(file.wifi));
  else fs.rmSync(wifiFile, { force: true });
  const keysFile = path.join(paths.ssh, 'authorized_keys');
  if (file.sshKey) writePrivate(keysFile, `${file.sshKey}\n`);
  else fs.rmSync(keysFile, { force: true });
  if (options.chown) chownTree(paths.carData, CAR_USER.uid);
  // the secrets leave the FAT partition (anyone with the card reads it); a note without secrets stays
  fs.rmSync(path.join(paths.boot, PAIR_DIR), { recursive: true, force: true });
  fs.rmSync(yamlFile, { force: true });
  fs.writeFileSync(path.join(paths.boot, 'edge-car.provisioned.txt'), `car ${file.car}, NUC ${file.nuc.host}, provisioned ${new Date().toISOString()}; secrets moved to the data partition\n`);
  syncAll();
  if (options.grow) growDataPartition(say);
  say(`${CONSOLE_MARKS.done} car=${file.car} nuc=${file.nuc.host} wifi=${file.wifi ? file.wifi.ssid : 'none'} ssh=${file.sshKey ? 'key' : 'off'}`);
  return 'provisioned';
}

function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) fs.lchownSync(path.join(entry.parentPath, entry.name), uid, uid);
}

function syncAll(): void {
  try {
    execFileSync('sync');
  } catch {
    // sync is best effort; the files were fsynced
  }
}

/** The data partition grows to the end of the disk (online: ext4 grows while mounted). */
export function growDataPartition(say: (line: string) => void): void {
  const tool = (cmd: string, args: string[], input?: string): string => execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const source = tool('findmnt', ['-no', 'SOURCE', CAR_LAYOUT.data]).trim();
    const name = path.basename(source);
    const number = fs.readFileSync(`/sys/class/block/${name}/partition`, 'utf8').trim();
    const disk = `/dev/${tool('lsblk', ['-no', 'PKNAME', source]).trim()}`;
    const table = tool('sfdisk', ['--dump', disk]);
    if (/^label: gpt/m.test(table)) tool('sfdisk', ['--no-reread', '--relocate', 'gpt-bak-std', disk]);
    tool('sfdisk', ['--no-reread', '--force', '-N', number, disk], ', +\n');
    tool('partx', ['-u', '--nr', number, disk]);
    tool('resize2fs', [source]);
    const size = Number(tool('lsblk', ['-bno', 'SIZE', source]).trim());
    say(`EDGE-DATA-GROWN ${source} ${Math.round(size / 1024 / 1024)} MiB`);
  } catch (error) {
    // a full-size data partition is a convenience: the car runs without it
    say(`EDGE-DATA-NOT-GROWN ${(error as Error).message.split('\n')[0]}`);
  }
}
