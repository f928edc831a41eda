/**
 * The allow-list file (`<keysDir>/allow-list.json`): every paired client key with its name and role.
 * The NUC proxy admits exactly these keys; `npm run bus -- pair | unpair` and `npm start` edit it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isValidId, keyBytes, type Identity, type PairedClient } from '../../protocol/index.ts';

/** A client's name: what `list` shows and the proxy logs. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const Name = Type.String({ pattern: NAME_PATTERN.source });
const Key = Type.String({ minLength: 40, maxLength: 40 });
const CarId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });
const PairedAt = Type.String({ maxLength: 64 });
const closed = { additionalProperties: false } as const;

const EntrySchema = Type.Union([
  Type.Object({ name: Name, role: Type.Literal('nuc'), service: CarId, publicKey: Key, pairedAt: PairedAt }, closed),
  Type.Object({ name: Name, role: Type.Literal('car'), car: CarId, publicKey: Key, pairedAt: PairedAt }, closed),
  Type.Object({ name: Name, role: Type.Literal('driver'), cars: Type.Array(CarId, { minItems: 1, maxItems: 64 }), publicKey: Key, pairedAt: PairedAt }, closed),
  Type.Object({ name: Name, role: Type.Literal('viewer'), publicKey: Key, pairedAt: PairedAt }, closed),
  Type.Object({ name: Name, role: Type.Literal('timing'), publicKey: Key, pairedAt: PairedAt }, closed),
]);
const AllowListSchema = Type.Object({ version: Type.Literal(1), clients: Type.Array(EntrySchema, { maxItems: 10_000 }) }, closed);
const check = TypeCompiler.Compile(AllowListSchema);

/** A paired client as the file holds it: the proxy's PairedClient and when it was paired. */
export type AllowListEntry = Static<typeof EntrySchema>;

export class AllowListError extends Error {
  override name = 'AllowListError';
}

/** Parses and checks the file's text; the error names what is wrong. */
export function parseAllowList(text: string): AllowListEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new AllowListError(`not JSON (${(error as Error).message})`);
  }
  if (!check.Check(data)) {
    const first = check.Errors(data).First();
    throw new AllowListError(`${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const entry of data.clients) {
    if (names.has(entry.name)) throw new AllowListError(`the name ${entry.name} is paired twice`);
    if (keys.has(entry.publicKey)) throw new AllowListError(`${entry.name}: its key is paired under another name too`);
    if (typeof keyBytes(entry.publicKey) === 'string') throw new AllowListError(`${entry.name}: publicKey is not a Z85 CURVE key`);
    names.add(entry.name);
    keys.add(entry.publicKey);
  }
  return data.clients;
}

export function serializeAllowList(entries: readonly AllowListEntry[]): string {
  return `${JSON.stringify({ version: 1, clients: entries }, null, 2)}\n`;
}

/** Why an identity cannot be paired as it is, or undefined. */
export function identityProblem(identity: Identity): string | undefined {
  if (!NAME_PATTERN.test(identity.name)) return `the name ${JSON.stringify(identity.name)} is not 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit`;
  const cars = identity.role === 'car' ? [identity.car] : identity.role === 'driver' ? identity.cars : [];
  const bad = cars.find((car) => !isValidId(car));
  if (bad !== undefined) return `${JSON.stringify(bad)} is not a car id (1-32 of A-Z a-z 0-9 _ -)`;
  if (identity.role === 'driver' && cars.length === 0) return 'a driver is bound to at least one car';
  if (identity.role === 'nuc' && !isValidId(identity.service)) return `${JSON.stringify(identity.service)} is not a service name`;
  return undefined;
}

/** What the proxy needs of an entry (it does not care when it was paired). */
export function pairedClient(entry: AllowListEntry): PairedClient {
  const { pairedAt: _pairedAt, ...client } = entry;
  return client;
}
