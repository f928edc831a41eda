/**
 * `npm run bus -- pair | unpair | list`: who may connect to the NUC's bus. Pairing makes a key pair,
 * adds its public half to the allow-list under a name and a role (a running NUC admits it at once)
 * and writes the key directory the car or tool connects with; unpairing revokes a key (its
 * connections drop within a second); list shows every key and when the NUC last saw it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TufRepository, deployPaths } from '../deploy/index.ts';
import { NUC_SERVICES } from '../nuc/index.ts';
import { IDENTITY_FILE } from '../image/index.ts';
import { BusKeyStore, NAME_PATTERN, busClientsReport, writeClientKeyDir, type AllowListEntry } from '../nuc/pairing/index.ts';
import { CLIENT_KEY_FILES, isValidId, type ClientKeys, type Identity } from '../protocol/index.ts';
import { busKeysDir, type LoadedConfig } from '../runtime/index.ts';
import { COMMON_OPTIONS, COMMON_USAGE, UsageError, isMainModule, runSubcommand, type CliIo } from './command-line.ts';

export const USAGE = `usage: npm run bus -- <command> [options]

commands:
  pair <name> --role car|driver|viewer|timing [--car <id> ...] --out <dir>
                    make a key pair for a car or a tool and add it to the NUC's allow-list (a running
                    NUC admits it at once). Writes <dir>/client.secret, <dir>/client.public and
                    <dir>/nuc.public (one 40-character Z85 key each) and, for a car, <dir>/root.json
                    (the update repository's root, for car.agent.trustedRoot).
                      car     one --car: publishes that car's frame, telemetry, agent and metrics, and
                              receives its control and what the NUC sends every car
                      driver  one or more --car: watches, and drives those cars
                      viewer  watches (frames, views, telemetry)
                      timing  a timing gate at the line: publishes nuc/timing/crossing, nothing else
  unpair <name>     revoke a key: the NUC refuses it and drops its connections within a second
  list              every paired key: name, role, cars, when it was paired and last seen, and what the
                    NUC proxy did with its messages and subscriptions since it started: accepted,
                    and refused by reason (see the README's bus contract, "Refusals")

On the car, set bus.clientKeys to <dir> (and car.agent.trustedRoot to <dir>/root.json).
${COMMON_USAGE}`;

const ROLE_CHOICES = ['car', 'driver', 'viewer', 'timing'] as const;
type PairableRole = (typeof ROLE_CHOICES)[number];

/** Runs the CLI; resolves to the exit code. The data directory comes from the configuration (`env`, `--config`, `--data`). */
export function runBusCli(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, role: { type: 'string' }, car: { type: 'string', multiple: true }, out: { type: 'string' } },
    });
  return runSubcommand({ name: 'bus', usage: USAGE, io, env }, parse, (command, rest, values, config) => {
    const store = new BusKeyStore(busKeysDir(config));
    switch (command) {
      case 'pair':
        return pair(config, store, rest, { role: values.role, cars: values.car ?? [], out: values.out }, io);
      case 'unpair':
        return unpair(store, rest, io);
      case 'list':
        if (rest.length > 0) throw new UsageError('list takes no arguments');
        return list(store, io);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  });
}

/** The identity a pair command asks for; a UsageError says what is missing or wrong. */
function requestedIdentity(name: string, role: string | undefined, cars: readonly string[]): Identity {
  if (!NAME_PATTERN.test(name)) throw new UsageError(`the name '${name}' is not valid: 1-64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)`);
  if (NUC_SERVICES.some((service) => service.name === name)) throw new UsageError(`'${name}' is the name of one of the NUC's own services; choose another`);
  if (!ROLE_CHOICES.includes(role as PairableRole)) throw new UsageError(`--role must be one of ${ROLE_CHOICES.join(', ')}${role === undefined ? '' : `, got '${role}'`}`);
  const bad = cars.find((car) => !isValidId(car));
  if (bad !== undefined) throw new UsageError(`--car '${bad}' is not a car id: 1-32 of A-Z a-z 0-9 _ -`);
  switch (role as PairableRole) {
    case 'car':
      if (cars.length !== 1) throw new UsageError('a car key is bound to exactly one car: give one --car <id>');
      return { name, role: 'car', car: cars[0]! };
    case 'driver':
      if (cars.length === 0) throw new UsageError('a driver key drives the cars it is bound to: give at least one --car <id>');
      return { name, role: 'driver', cars: [...new Set(cars)] };
    case 'viewer':
      if (cars.length > 0) throw new UsageError('a viewer key watches every car and drives none: leave out --car');
      return { name, role: 'viewer' };
    case 'timing':
      if (cars.length > 0) throw new UsageError('a timing key publishes the line crossings of every car: leave out --car');
      return { name, role: 'timing' };
  }
}

function pair(config: LoadedConfig, store: BusKeyStore, args: string[], options: { role: string | undefined; cars: string[]; out: string | undefined }, io: CliIo): number {
  const [name] = args;
  if (!name || args.length > 1) throw new UsageError('pair needs exactly one name');
  const identity = requestedIdentity(name, options.role, options.cars);
  if (!options.out) throw new UsageError('pair needs --out <dir>: where to write the new key files');
  const out = path.resolve(options.out);
  if (fs.existsSync(path.join(out, CLIENT_KEY_FILES.secretKey))) throw new Error(`${out} already holds a ${CLIENT_KEY_FILES.secretKey}; choose an empty directory`);
  const { entry, keys } = store.pair(identity);
  writeOutDir(out, keys);
  // whom the keys belong to: the car's first boot refuses keys paired for another car before the NUC would
  fs.writeFileSync(path.join(out, IDENTITY_FILE), `${JSON.stringify(identity)}\n`, { mode: 0o644 });
  io.out(`paired ${describe(entry)}`);
  io.out(`wrote ${[CLIENT_KEY_FILES.secretKey, CLIENT_KEY_FILES.publicKey, CLIENT_KEY_FILES.serverKey].map((file) => path.join(out, file)).join(', ')}`);
  if (identity.role === 'car') writeTrustedRoot(config, out, io);
  io.out(`on the ${identity.role === 'car' ? 'car' : identity.role === 'timing' ? 'timing gate' : 'tool'}'s host: bus.clientKeys: ${out}${identity.role === 'car' ? `, car.agent.trustedRoot: ${path.join(out, 'root.json')}` : ''}`);
  if (identity.role === 'timing') io.out('there: npm run service -- nuc timing, with nuc.timing.gpio set and nuc.timing.sim: false');
  if (config.bus.security === 'none') io.out('note: bus.security is none here, so the NUC checks no keys until it is curve');
  return 0;
}

/** The key files as a client reads them: the secret for its owner only, the public keys for anyone. */
function writeOutDir(out: string, keys: ClientKeys): void {
  writeClientKeyDir(out, keys);
  for (const file of [CLIENT_KEY_FILES.publicKey, CLIENT_KEY_FILES.serverKey]) fs.chmodSync(path.join(out, file), 0o644);
}

/** A car with real hardware trusts only a provisioned update root: pairing hands it over. */
function writeTrustedRoot(config: LoadedConfig, out: string, io: CliIo): void {
  const { repositoryDir } = deployPaths(config.dataDir);
  if (!TufRepository.exists(repositoryDir)) {
    io.out(`no update repository yet (${repositoryDir}): after \`npm run deploy -- init\`, copy its metadata/root.json to ${path.join(out, 'root.json')}`);
    return;
  }
  fs.writeFileSync(path.join(out, 'root.json'), TufRepository.open(repositoryDir).rootBytes(), { mode: 0o644 });
  io.out(`wrote ${path.join(out, 'root.json')} (the update repository's root: the car installs only releases it signs)`);
}

function unpair(store: BusKeyStore, args: string[], io: CliIo): number {
  const [name] = args;
  if (!name || args.length > 1) throw new UsageError('unpair needs exactly one name');
  const entry = store.unpair(name);
  if (!entry) throw new Error(`no key is paired as ${name} (see \`npm run bus -- list\`)`);
  io.out(`unpaired ${describe(entry)}: a running NUC drops its connections within a second`);
  if (entry.role === 'nuc') io.out(`note: ${name} is one of the NUC's own services; npm start pairs it again with a new key`);
  return 0;
}

function describe(entry: AllowListEntry): string {
  const what = entry.role === 'car' ? `car ${entry.car}` : entry.role === 'driver' ? `cars ${entry.cars.join(', ')}` : entry.role === 'nuc' ? `service ${entry.service}` : entry.role === 'timing' ? 'line crossings' : 'every car';
  return `${entry.name} (${entry.role}: ${what})`;
}

/** `schema 3, not-permitted 1`, or `-` */
function reasons(counts: Partial<Record<string, number>>): string {
  const listed = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0);
  return listed.length === 0 ? '-' : listed.map(([reason, n]) => `${reason} ${n}`).join(', ');
}

function list(store: BusKeyStore, io: CliIo): number {
  const report = busClientsReport(store);
  if (report.clients.length === 0) {
    io.out(`no keys paired yet (${store.allowListFile})`);
    return 0;
  }
  const rows = [
    ['name', 'role', 'cars', 'paired', 'last seen', 'msgs ok', 'msgs refused', 'subs ok', 'subs refused'],
    ...report.clients.map((c) => [
      c.name,
      c.role,
      c.role === 'nuc' ? `(${c.service ?? ''})` : c.cars.length > 0 ? c.cars.join(',') : '-',
      c.pairedAt,
      c.lastSeen ?? 'never',
      String(c.messages.accepted),
      reasons(c.messages.refused),
      String(c.subscriptions.applied),
      reasons(c.subscriptions.refused),
    ]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  for (const row of rows) io.out(row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
  if (report.problem) io.out(`counts unavailable: ${report.problem}`);
  else if (report.countingSince === null) io.out('no counts yet: the NUC proxy writes them once it runs with bus.security curve');
  else io.out(`counted by the NUC proxy since ${report.countingSince}, as of ${report.updatedAt}`);
  return 0;
}

if (isMainModule(import.meta.url)) {
  const code = await runBusCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
