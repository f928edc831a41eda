/**
 * The NUC's bus keys on disk (`bus.keysDir`, default `<dataDir>/keys/bus`, mode 0700, files 0600):
 *
 *   nuc.secret, nuc.public          the NUC's CURVE key pair (the proxy's server key)
 *   allow-list.json                 every paired client key: name, role, cars or service
 *   activity.json                   per client, what the proxy accepted and refused, and when it last saw it
 *   clients/<name>/                 the keys of the NUC's own services and simulated cars
 *                                   (client.secret, client.public, nuc.public)
 *
 * Writes are atomic and serialised by a lock file, so `npm start`, the services it starts and
 * `npm run bus` can pair at the same time.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CLIENT_KEY_FILES,
  KeyFileError,
  generateKeyPair,
  keyFileText,
  readClientKeys,
  readKeyPair,
  type ClientActivity,
  type ClientKeys,
  type CurveKeyPair,
  type Identity,
} from '../../protocol/index.ts';
import { writeFileAtomicSync } from '../../runtime/index.ts';
import { parseActivity, serializeActivity, type ActivityFile } from './activity-file.ts';
import { AllowListError, identityProblem, parseAllowList, serializeAllowList, type AllowListEntry } from './allow-list.ts';

const NUC_SECRET = 'nuc.secret';
const NUC_PUBLIC = 'nuc.public';
const ALLOW_LIST = 'allow-list.json';
const ACTIVITY = 'activity.json';
const LOCK = '.lock';
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;
const PRIVATE = 0o600;

export class PairingError extends Error {
  override name = 'PairingError';
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function checkIdentity(identity: Identity): void {
  const problem = identityProblem(identity);
  if (problem) throw new PairingError(`cannot pair ${identity.name}: ${problem}`);
}

function sameIdentity(entry: AllowListEntry, identity: Identity): boolean {
  const { pairedAt: _pairedAt, publicKey: _publicKey, ...held } = entry;
  return JSON.stringify(held) === JSON.stringify(identity);
}

/** Writes a client's key directory: what a car or tool on another host connects with. */
export function writeClientKeyDir(dir: string, keys: ClientKeys): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path.join(dir, CLIENT_KEY_FILES.secretKey), keyFileText(keys.secretKey), PRIVATE);
  writeFileAtomicSync(path.join(dir, CLIENT_KEY_FILES.publicKey), keyFileText(keys.publicKey), PRIVATE);
  writeFileAtomicSync(path.join(dir, CLIENT_KEY_FILES.serverKey), keyFileText(keys.serverKey), PRIVATE);
}

export class BusKeyStore {
  constructor(readonly dir: string) {}

  get allowListFile(): string {
    return path.join(this.dir, ALLOW_LIST);
  }

  /** The directory of one of this machine's own clients (a NUC service, a simulated car). */
  ownClientDir(name: string): string {
    return path.join(this.dir, 'clients', name);
  }

  /** The NUC's key pair; a KeyFileError names a missing or malformed file. */
  nucKeys(): CurveKeyPair {
    return readKeyPair(path.join(this.dir, NUC_SECRET), path.join(this.dir, NUC_PUBLIC));
  }

  hasNucKeys(): boolean {
    return fs.existsSync(path.join(this.dir, NUC_SECRET));
  }

  /** The NUC's key pair, made on first use. */
  ensureNucKeys(): CurveKeyPair {
    if (this.hasNucKeys()) return this.nucKeys();
    return this.locked(() => this.nucKeysMadeIfMissing());
  }

  /** The paired clients ([] before the first pairing); an AllowListError says what is wrong with the file. */
  entries(): AllowListEntry[] {
    const text = readIfPresent(this.allowListFile);
    if (text === undefined) return [];
    try {
      return parseAllowList(text);
    } catch (error) {
      throw new AllowListError(`${this.allowListFile}: ${(error as Error).message}`);
    }
  }

  /** Pairs a new key under a new name; takes effect on a running NUC at once (its proxy watches the file). */
  pair(identity: Identity): { entry: AllowListEntry; keys: ClientKeys } {
    checkIdentity(identity);
    return this.locked(() => {
      const nuc = this.nucKeysMadeIfMissing();
      const entries = this.entries();
      if (entries.some((e) => e.name === identity.name)) throw new PairingError(`${identity.name} is already paired (unpair it first, or choose another name)`);
      const pair = generateKeyPair();
      const entry = { ...identity, publicKey: pair.publicKey, pairedAt: new Date().toISOString() } as AllowListEntry;
      this.writeEntries([...entries, entry]);
      return { entry, keys: { ...pair, serverKey: nuc.publicKey } };
    });
  }

  /** Revokes a key: the proxy refuses it and drops its connections within a second. */
  unpair(name: string): AllowListEntry | undefined {
    return this.locked(() => {
      const entries = this.entries();
      const entry = entries.find((e) => e.name === name);
      if (entry) this.writeEntries(entries.filter((e) => e !== entry));
      if (entry && fs.existsSync(this.ownClientDir(name))) fs.rmSync(this.ownClientDir(name), { recursive: true, force: true });
      return entry;
    });
  }

  /**
   * The keys of one of this machine's own clients (`npm start`'s services and simulated cars),
   * paired on first use and kept in `clients/<name>/`. On a host that holds only a copy of such a
   * directory (a NUC service on another machine) the copy is used as it is.
   */
  ensureOwnClient(identity: Identity): ClientKeys {
    checkIdentity(identity);
    const dir = this.ownClientDir(identity.name);
    const existing = this.readOwnClient(dir);
    if (existing && !this.hasNucKeys() && !fs.existsSync(this.allowListFile)) return existing;
    const current = (keys: ClientKeys | undefined, nuc: CurveKeyPair): keys is ClientKeys => {
      const entry = this.entries().find((e) => e.name === identity.name);
      return keys !== undefined && keys.serverKey === nuc.publicKey && entry !== undefined && entry.publicKey === keys.publicKey && sameIdentity(entry, identity);
    };
    if (this.hasNucKeys() && current(existing, this.nucKeys())) return existing;
    return this.locked(() => {
      const nuc = this.nucKeysMadeIfMissing();
      const found = this.readOwnClient(dir);
      if (current(found, nuc)) return found;
      const pair = found ?? generateKeyPair();
      const keys = { publicKey: pair.publicKey, secretKey: pair.secretKey, serverKey: nuc.publicKey };
      const entries = this.entries().filter((e) => e.name !== identity.name && e.publicKey !== keys.publicKey);
      this.writeEntries([...entries, { ...identity, publicKey: keys.publicKey, pairedAt: new Date().toISOString() } as AllowListEntry]);
      writeClientKeyDir(dir, keys);
      return keys;
    });
  }

  /**
   * What the proxy recorded per client (see activity-file.ts): undefined before it first wrote, or
   * when the file cannot be read (the reason is then `problem`).
   */
  activity(): { file?: ActivityFile; problem?: string } {
    const file = path.join(this.dir, ACTIVITY);
    const text = readIfPresent(file);
    if (text === undefined) return {};
    const parsed = parseActivity(text);
    return typeof parsed === 'string' ? { problem: `${file}: ${parsed}` } : { file: parsed };
  }

  /** When the proxy last saw each client, by name (ms since the epoch). */
  lastSeen(): Record<string, number> {
    const clients = this.activity().file?.clients ?? {};
    return Object.fromEntries(Object.entries(clients).flatMap(([name, activity]) => (activity.lastSeen === undefined ? [] : [[name, activity.lastSeen]])));
  }

  /** Records the proxy's per-client activity (only paired names are kept). */
  writeActivity(since: number, clients: Record<string, ClientActivity>, now = Date.now()): void {
    const paired = new Set(this.entries().map((e) => e.name));
    const kept = Object.fromEntries(Object.entries(clients).filter(([name]) => paired.has(name)));
    writeFileAtomicSync(path.join(this.dir, ACTIVITY), serializeActivity(since, now, kept), PRIVATE);
  }

  /**
   * Holding the lock: the NUC's key pair, written (public half first) on the first start. Once
   * clients are paired, a missing key is never made again behind their back: they hold its public half.
   */
  private nucKeysMadeIfMissing(): CurveKeyPair {
    if (this.hasNucKeys()) return this.nucKeys();
    if (fs.existsSync(this.allowListFile)) {
      throw new KeyFileError(path.join(this.dir, NUC_SECRET), 'missing, but clients were paired with it: restore it, or remove allow-list.json and pair every car and tool again');
    }
    const pair = generateKeyPair();
    writeFileAtomicSync(path.join(this.dir, NUC_PUBLIC), keyFileText(pair.publicKey), PRIVATE);
    writeFileAtomicSync(path.join(this.dir, NUC_SECRET), keyFileText(pair.secretKey), PRIVATE);
    return pair;
  }

  /** An own client's keys; undefined when none were written yet. */
  private readOwnClient(dir: string): ClientKeys | undefined {
    if (!fs.existsSync(path.join(dir, CLIENT_KEY_FILES.secretKey))) return undefined;
    return readClientKeys(dir);
  }

  /** Writes only a list that reads back (a bad name or car id never reaches the file). */
  private writeEntries(entries: readonly AllowListEntry[]): void {
    const text = serializeAllowList(entries);
    try {
      parseAllowList(text);
    } catch (error) {
      throw new PairingError(`not paired: ${(error as Error).message}`);
    }
    writeFileAtomicSync(this.allowListFile, text, PRIVATE);
  }

  /** Runs `work` holding the store's lock (a lock older than 10 s is a crashed writer's, and is taken over). */
  private locked<T>(work: () => T): T {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
    const lock = path.join(this.dir, LOCK);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        fs.closeSync(fs.openSync(lock, 'wx', PRIVATE));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > LOCK_STALE_MS) fs.rmSync(lock, { force: true });
        else if (Date.now() > deadline) throw new PairingError(`${lock} is held by another process; try again`);
        else sleepSync(20);
      }
    }
    try {
      return work();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

/** The car ids of the paired `car` keys: cars the NUC knows besides the ones it runs itself. */
export function pairedCarIds(keysDir: string): string[] {
  let entries: AllowListEntry[];
  try {
    entries = new BusKeyStore(keysDir).entries();
  } catch {
    return [];
  }
  return [...new Set(entries.flatMap((e) => (e.role === 'car' ? [e.car] : [])))].sort();
}
