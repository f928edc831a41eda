/**
 * `npm run deploy -- <command>`: create the signing keys (the TUF keys and the car OS's code-signing
 * keys) and repository, publish services, models and car OS bundles as signed releases, show what
 * runs where, and roll a car back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPOSITORY_ROOT,
  TufRepository,
  buildService,
  carReleases,
  checkOsBundle,
  createKeys,
  createOsKeys,
  deployPaths,
  findServiceSpec,
  hasOsKeys,
  latestRelease,
  loadOnlineKeys,
  loadRoleKey,
  osContent,
  osKeyFiles,
  osKeyringCopy,
  osStatusLine,
  publishRelease,
  readModelDir,
  releaseByVersion,
  republishRelease,
  type DeployPaths,
  type OnlineKeys,
  type ServiceContent,
} from '../deploy/index.ts';
import { OtaDb, releaseBaseFor } from '../nuc/ota/index.ts';
import { modelStanding, overrideNote, shipRefusal } from '../nuc/training/index.ts';
import { UPDATE_STRATEGIES, type ReleaseManifest, type UpdateStrategy } from '../protocol/index.ts';
import { COMMON_OPTIONS, COMMON_USAGE, UsageError, isMainModule, runSubcommand, type CliIo } from './command-line.ts';

export const USAGE = `usage: npm run deploy -- <command> [options]

commands:
  init                          create the signing keys and an empty signed repository, and the car OS's
                                code-signing keys (whatever is missing; present keys are never replaced).
                                <keys>/offline/ holds the TUF root key and the OS CA: move it off the NUC;
                                the online keys in <keys>/online sign every publish
  publish service <name...>     bundle car services (esbuild) and publish them as a new release (on the
                                newest release, or on the last healthy one if cars rolled back from it)
                                [--strategy handover|kill-then-download|delete-then-download]: how the
                                agent swaps them (default handover: the new one starts beside the old;
                                the kill/delete strategies free memory and disk first, for small cars)
  publish model <dir>           publish a saved model directory as a new release [--name <model>]; only a
                                candidate (it passed the NUC's evaluation and gate) ships, anything else
                                needs --override, and the release history records that it was overridden
  publish os <bundle>           publish a car OS bundle (RAUC, from \`npm run image -- bundle\`) as a new release
                                that keeps the newest release's services and model; checked first with
                                rauc against the offline OS CA [--keyring <os-ca.cert.pem>]. An OS stays in
                                every later release until another OS replaces it. A chunked bundle
                                (….chunked.raucb) needs its chunk store beside it [--store <dir>]: every
                                chunk its index names is checked and copied into <repository>/chunks/
  status                        repository versions and expiry, releases, and what each car runs (its OS too)
  rollback <car>                re-publish the release <car> ran before (or --to <version>) as a NEW,
                                higher version, for that car only (a signed release of its own; the
                                other cars keep the fleet's). Cars and TUF refuse to go to a lower
                                version (the rollback-attack defence), so a rollback always moves
                                forward to old content. The next release for the fleet supersedes it.
  refresh-timestamp             re-sign timestamp.json; it expires after a day and cars then refuse
                                to update (freeze-attack defence), so run this daily when not publishing

options:
  --keys <dir>     keys directory (default <data>/keys; never inside the served repository, never in git)
  --label <text>   a label for the release
  --keyring <pem>  the OS CA certificate publish os checks bundles with (default <keys>/offline/os-ca.cert.pem,
                   else its copy <keys>/os-ca.cert.pem that init leaves beside the online keys)
${COMMON_USAGE}`;

const KB = 1024;
const size = (bytes: number): string => (bytes >= KB * KB ? `${(bytes / KB / KB).toFixed(1)} MB` : `${(bytes / KB).toFixed(1)} kB`);

/** Runs the CLI; resolves to the exit code. The data directory comes from the configuration (`env`, `--config`, `--data`). */
export function runCli(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        keys: { type: 'string' },
        label: { type: 'string' },
        name: { type: 'string' },
        to: { type: 'string' },
        strategy: { type: 'string' },
        override: { type: 'boolean' },
        keyring: { type: 'string' },
        store: { type: 'string' },
      },
    });
  return runSubcommand({ name: 'deploy', usage: USAGE, io, env }, parse, async (command, rest, values, config) => {
    const paths = deployPaths(config.dataDir, values.keys && path.resolve(values.keys));
    switch (command) {
      case 'init':
        return await init(paths, io);
      case 'publish':
        return await publish(paths, rest, { label: values.label, name: values.name, strategy: values.strategy, override: values.override === true, keyring: values.keyring, store: values.store }, io);
      case 'status':
        return status(paths, io);
      case 'rollback':
        return rollback(paths, rest, { to: values.to, label: values.label }, io);
      case 'refresh-timestamp':
        TufRepository.open(paths.repositoryDir).refreshTimestamp(loadRoleKey(paths.keysDir, 'timestamp'));
        io.out(`timestamp re-signed; expires ${TufRepository.open(paths.repositoryDir).versions().timestampExpires}`);
        return 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  });
}

/** Creates what is missing (never replacing what is there) and says what already existed. */
async function init(paths: DeployPaths, io: CliIo): Promise<number> {
  const offline = path.join(paths.keysDir, 'offline');
  if (TufRepository.exists(paths.repositoryDir)) {
    io.out(`exists: the update repository ${paths.repositoryDir} and its keys in ${paths.keysDir} (kept)`);
  } else {
    io.out(`creating ed25519 keys in ${paths.keysDir} …`);
    const keys = createKeys(paths.keysDir, { servedDir: paths.repositoryDir });
    io.out(`creating the repository in ${paths.repositoryDir} …`);
    TufRepository.initialize(paths.repositoryDir, keys);
  }
  const osKeys = osKeyFiles(paths.keysDir);
  const caCopy = osKeyringCopy(paths.keysDir);
  if (hasOsKeys(paths.keysDir)) {
    io.out(`exists: the OS code-signing keys in ${offline} (kept: the cars' images trust this CA)`);
  } else if (fs.existsSync(caCopy) && !fs.existsSync(osKeys.caCert)) {
    // the offline folder left the NUC, as it should: a new CA would make every car refuse what the old one signs
    io.out(`exists: the OS CA (its certificate copy ${caCopy}); its offline folder is not here (moved off the NUC?): no new OS keys made`);
  } else {
    // createOsKeys refuses a partial set itself, naming the files that are there
    io.out(`creating the OS code-signing keys (openssl) in ${offline} …`);
    await createOsKeys(paths.keysDir);
  }
  if (fs.existsSync(osKeys.caCert) && !fs.existsSync(caCopy)) fs.copyFileSync(osKeys.caCert, caCopy);
  io.out(`TUF root key:          ${path.join(offline, 'root.pem')}`);
  io.out(`TUF online keys:       ${path.join(paths.keysDir, 'online')} (sign every publish; stay on the NUC)`);
  io.out(`OS CA:                 ${osKeys.caCert} + ${path.basename(osKeys.caKey)} (the image's RAUC keyring)`);
  io.out(`OS signing cert + key: ${osKeys.signingCert} + ${path.basename(osKeys.signingKey)} (npm run image -- bundle signs with them)`);
  io.out(`OS CA certificate copy for publish os: ${osKeyringCopy(paths.keysDir)}`);
  io.out(`keep ${offline} (the TUF root key and the OS CA key) off the NUC: on a USB stick in a drawer, copied once more; bring it back only to rotate keys or sign an OS bundle`);
  io.out(`provision each car with ${path.join(paths.repositoryDir, 'metadata', 'root.json')} as its trusted root`);
  return 0;
}

function withDb<T>(paths: DeployPaths, work: (db: OtaDb) => T): T {
  const db = OtaDb.open(paths.databaseFile);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

function recordRelease(paths: DeployPaths, manifest: ReleaseManifest, override: string | null = null): void {
  withDb(paths, (db) =>
    db.recordRelease({
      version: manifest.version,
      label: manifest.label,
      createdAt: manifest.createdAt,
      manifest,
      override,
      ...(manifest.rollbackOf ? { rollbackOf: manifest.rollbackOf } : {}),
    }),
  );
}

function parseStrategy(value: string | undefined): UpdateStrategy | undefined {
  if (value === undefined) return undefined;
  if (!(UPDATE_STRATEGIES as readonly string[]).includes(value)) throw new UsageError(`--strategy must be one of ${UPDATE_STRATEGIES.join(', ')}, got '${value}'`);
  return value as UpdateStrategy;
}

async function publish(paths: DeployPaths, args: string[], options: { label?: string; name?: string; strategy?: string; override: boolean; keyring?: string; store?: string }, io: CliIo): Promise<number> {
  const [kind, ...names] = args;
  const strategy = parseStrategy(options.strategy);
  if (strategy && kind !== 'service') throw new UsageError('--strategy applies to services only (a model swaps inside the running pilot)');
  if (options.override && kind !== 'model') throw new UsageError('--override applies to models only');
  if (options.keyring !== undefined && kind !== 'os') throw new UsageError('--keyring applies to publish os only');
  if (options.store !== undefined && kind !== 'os') throw new UsageError('--store applies to publish os only (a chunked bundle\'s chunk store)');
  if (kind !== 'service' && kind !== 'model' && kind !== 'os') throw new UsageError(`publish what? expected 'service', 'model' or 'os', got '${kind ?? ''}'`);
  if (kind === 'service' && names.length === 0) throw new UsageError('publish service needs at least one service name');
  if (kind === 'model' && names.length !== 1) throw new UsageError('publish model needs exactly one model directory');
  if (kind === 'os' && names.length !== 1) throw new UsageError('publish os needs exactly one bundle file (.raucb)');
  const specs = kind === 'service' ? names.map(findServiceSpec) : [];
  const repo = TufRepository.open(paths.repositoryDir);
  const keys = loadOnlineKeys(paths.keysDir);
  let manifest: ReleaseManifest;
  let override: string | null = null;
  // never on a release the fleet rolled back from: that would ship what just failed again
  const base = withDb(paths, (db) => releaseBaseFor(db, latestRelease(repo)?.version));
  for (const { version, reason } of base.skipped) io.err(`release ${version} is withdrawn (${reason}): not building on it`);
  if (base.skipped.length > 0) io.out(base.version === null ? 'no healthy release to build on: the release holds only what is published now' : `building on release ${base.version}, the last healthy one`);
  if (kind === 'model') {
    const standing = await modelStanding(names[0]!);
    if (standing.status !== 'candidate') {
      if (!options.override) throw new Error(`${shipRefusal(names[0]!, standing)} (--override)`);
      override = overrideNote(standing);
      io.err(`warning: ${override}`);
    }
  }
  if (kind === 'os') {
    manifest = await publishOs(paths, repo, keys, names[0]!, { label: options.label, keyring: options.keyring, store: options.store, base: base.version }, io);
  } else if (kind === 'service') {
    const services: Record<string, ServiceContent> = {};
    for (const spec of specs) {
      io.out(`bundling ${spec.name} (${spec.entry}) …`);
      const built = await buildService(spec, REPOSITORY_ROOT);
      const content = strategy ? { ...built, strategy } : built;
      const bytes = content.files.reduce((sum, f) => sum + f.bytes.length, 0);
      io.out(`  ${size(bytes)}; strategy ${content.strategy}; native packages the car must have: ${content.externals.join(', ') || 'none'}`);
      services[spec.name] = content;
    }
    io.out('signing …');
    manifest = publishRelease(repo, keys, { label: options.label ?? `services: ${names.join(', ')}`, services }, { base: base.version });
  } else {
    const model = readModelDir(names[0]!, options.name);
    io.out(`model ${model.name}: ${model.files.length} files, ${size(model.files.reduce((sum, f) => sum + f.bytes.length, 0))}`);
    io.out('signing …');
    manifest = publishRelease(repo, keys, { label: options.label ?? `model: ${model.name}`, model }, { base: base.version });
  }
  recordRelease(paths, manifest, override);
  io.out(`published release ${manifest.version} (${manifest.label})${override ? ' on an override' : ''}; timestamp expires ${repo.versions().timestampExpires}`);
  return 0;
}

/** The OS CA certificate bundles are checked with: --keyring, the offline folder's, or init's copy of it. */
function osKeyring(paths: DeployPaths, keyring: string | undefined): string {
  if (keyring !== undefined) return path.resolve(keyring);
  const offline = osKeyFiles(paths.keysDir).caCert;
  return fs.existsSync(offline) ? offline : osKeyringCopy(paths.keysDir);
}

async function publishOs(
  paths: DeployPaths,
  repo: TufRepository,
  keys: OnlineKeys,
  bundle: string,
  options: { label?: string | undefined; keyring?: string | undefined; store?: string | undefined; base: number | null },
  io: CliIo,
): Promise<ReleaseManifest> {
  const keyring = osKeyring(paths, options.keyring);
  io.out(`checking ${bundle} with rauc (signature against ${keyring}, payload, manifest) …`);
  const info = await checkOsBundle(path.resolve(bundle), { keyring, ...(options.store !== undefined ? { store: path.resolve(options.store) } : {}) });
  const content = osContent(path.resolve(bundle), info);
  io.out(`  OS ${info.version} for ${info.compatible}${info.build ? `, build ${info.build}` : ''}: ${info.slots.join(', ')}; ${size(content.bytes.length)}`);
  if (info.chunks) io.out(`  chunked: ${info.chunks.ids.length} chunks (${size(info.chunks.storeBytes)}) in ${info.chunks.store}, all there and intact`);
  // the release this one builds on (publish chose it: the newest, or the last healthy one); null on a fresh repository
  const base = options.base === null ? undefined : releaseByVersion(repo, options.base);
  if (base?.os?.version === info.version) {
    throw new Error(`release ${base.version} already carries OS ${info.version}: a car installs an OS whose version differs from the one it runs, so build the bundle with a new version`);
  }
  if (base?.os && base.os.compatible !== info.compatible) {
    io.err(`warning: release ${base.version}'s OS is for ${base.os.compatible}; this one replaces it and is for ${info.compatible} (cars of another kind ignore it)`);
  }
  io.out('signing …');
  return publishRelease(repo, keys, { label: options.label ?? `os: ${info.version}`, os: content }, {
    base: options.base,
    onChunks: (p) => io.out(`  chunk pool ${repo.chunksDir}: ${p.added} new (${size(p.addedBytes)}), ${p.present} already there (${size(p.presentBytes)})`),
  });
}

function status(paths: DeployPaths, io: CliIo): number {
  const repo = TufRepository.open(paths.repositoryDir);
  const v = repo.versions();
  const expired = new Date(v.timestampExpires).getTime() <= Date.now();
  io.out(`repository ${paths.repositoryDir}`);
  io.out(`  metadata: root v${v.root}, targets v${v.targets}, snapshot v${v.snapshot}, timestamp v${v.timestamp}`);
  io.out(`  timestamp expires ${v.timestampExpires}${expired ? '  EXPIRED: cars refuse updates; run refresh-timestamp' : ''}`);
  const latest = latestRelease(repo);
  const override = latest ? withDb(paths, (db) => db.release(latest.version)?.override) : undefined;
  const withdrawn = latest ? withDb(paths, (db) => db.release(latest.version)?.withdrawn) : undefined;
  io.out(latest ? `  latest release ${latest.version}: ${latest.label}${override ? ` (${override})` : ''}${withdrawn ? ` WITHDRAWN: ${withdrawn}` : ''}` : '  nothing published yet');
  for (const { car, release } of carReleases(repo)) {
    const superseded = latest !== undefined && latest.version > release.version;
    io.out(`  car ${car}'s own release ${release.version}: ${release.label}${superseded ? ` (superseded by ${latest.version})` : ''}`);
  }
  if (latest) {
    for (const [name, s] of Object.entries(latest.services)) io.out(`    service ${name}: ${s.files.map((f) => f.sha256.slice(0, 12)).join(', ')}`);
    if (latest.model) io.out(`    model ${latest.model.name}: ${latest.model.files.length} files`);
    if (latest.os) io.out(`    OS ${latest.os.version} for ${latest.os.compatible}: ${latest.os.bundle.target} ${latest.os.bundle.sha256.slice(0, 12)}, ${size(latest.os.bundle.length)}`);
  }
  withDb(paths, (db) => {
    const cars = db.cars();
    io.out(cars.length ? 'cars:' : 'cars: none reported yet');
    for (const car of cars) {
      const moving = car.targetVersion ? ` → ${car.targetVersion}` : '';
      io.out(`  car ${car.car}: release ${car.version ?? '-'}${moving}, ${car.state}${car.error ? ` (${car.error})` : ''}, at ${car.updatedAt}`);
      // the NUC keeps each car's latest OS report (its agent's os, osSlots, osUpdate), as /api/fleet shows them
      const carOs = db.carOs(car.car);
      const os = carOs && osStatusLine(carOs);
      if (os) io.out(`    ${os} (reported ${carOs.updatedAt})`);
    }
    const failures = db.history({ limit: 20 }).filter((e) => e.outcome !== 'installed');
    for (const e of failures.slice(0, 5)) io.out(`  ${e.at} car ${e.car}: ${e.from ?? '-'} → ${e.to} ${e.outcome}${e.error ? `: ${e.error}` : ''}`);
  });
  return 0;
}

function rollback(paths: DeployPaths, args: string[], options: { to?: string; label?: string }, io: CliIo): number {
  const [car] = args;
  if (!car || args.length > 1) throw new UsageError('rollback needs exactly one car id');
  const repo = TufRepository.open(paths.repositoryDir);
  const keys = loadOnlineKeys(paths.keysDir);
  const { current, target } = withDb(paths, (db) => {
    const current = db.car(car)?.version ?? undefined;
    if (options.to !== undefined) {
      const to = Number(options.to);
      if (!Number.isInteger(to) || to < 1) throw new UsageError(`--to must be a release version, got '${options.to}'`);
      return { current, target: to };
    }
    if (current === undefined) throw new Error(`car ${car} has no recorded release; name one with --to <version>`);
    const previous = db.previousVersion(car) ?? (current > 1 ? current - 1 : undefined);
    if (previous === undefined) throw new Error(`car ${car} runs release ${current} and there is none before it`);
    return { current, target: previous };
  });
  const old = releaseByVersion(repo, target);
  io.out(`car ${car} runs release ${current ?? 'unknown'}; re-publishing the content of release ${target} (${old.label}) …`);
  const label = options.label ?? `rollback of car ${car} to release ${target}`;
  const manifest = republishRelease(repo, keys, old, label, { car });
  // the same content: a model shipped on an override still is one
  recordRelease(paths, manifest, withDb(paths, (db) => db.release(target)?.override ?? null));
  io.out(`published release ${manifest.version} = content of release ${target} for car ${car} only; it moves forward to it on its next check`);
  return 0;
}

if (isMainModule(import.meta.url)) {
  const code = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
