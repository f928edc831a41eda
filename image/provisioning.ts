/**
 * First-boot provisioning, as pure checks: `edge-car.yaml` (the car's id, the NUC's address, Wi-Fi,
 * an optional SSH key, optional hardware settings) and the key folder `npm run bus -- pair` wrote,
 * both read from the boot partition, which anyone holding the card can write. Every problem is
 * named by its field or file; nothing here touches the disk, so the image CLI (on the host) and the
 * car's first boot (in the guest) check exactly alike.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CLIENT_KEY_FILES, isValidId, keyBytes, publicKeyOf } from '../protocol/index.ts';

/** The file the user drops onto the boot partition. */
export const PROVISION_FILE = 'edge-car.yaml';
/** The folder (beside it) holding what `bus pair --out` wrote. */
export const PAIR_DIR = 'edge-keys';
/** Written by `bus pair`: whom the keys belong to, so a car id the keys are not bound to is caught before the NUC refuses it. */
export const IDENTITY_FILE = 'identity.json';
export const ROOT_FILE = 'root.json';
/** Larger provisioning input is refused unread (a FAT partition can hold anything). */
export const MAX_PROVISION_BYTES = 64 * 1024;
/** A TUF root.json with a handful of keys is a few KB. */
export const MAX_ROOT_BYTES = 256 * 1024;

/** printable ASCII without the double quote: wpa_supplicant.conf quotes these */
const PRINTABLE = '^[\\x20\\x21\\x23-\\x7e]+$';
const Hostname = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$' });

export const ProvisionFileSchema = Type.Object(
  {
    car: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$', description: 'the car id the keys were paired for' }),
    nuc: Type.Object(
      {
        host: Hostname,
        /** only when the NUC does not use the default ports */
        httpPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
        busPublishersPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
        busSubscribersPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
      },
      { additionalProperties: false },
    ),
    wifi: Type.Optional(
      Type.Object(
        {
          ssid: Type.String({ minLength: 1, maxLength: 32, pattern: PRINTABLE }),
          /** WPA2/3 personal: 8-63 printable characters */
          psk: Type.String({ minLength: 8, maxLength: 63, pattern: PRINTABLE }),
          country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
        },
        { additionalProperties: false },
      ),
    ),
    /** one OpenSSH public key; without it sshd never starts */
    sshKey: Type.Optional(Type.String({ maxLength: 4096, pattern: '^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh.com) [A-Za-z0-9+/=]+( [^\\n\\r]*)?$' })),
    hardware: Type.Optional(
      Type.Object(
        {
          /** the PCA9685's Linux I2C bus (1 on a Raspberry Pi) */
          i2cBus: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
          /** the command printing the camera's MJPEG stream on stdout */
          camera: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 64 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProvisionFile = Static<typeof ProvisionFileSchema>;

const IdentitySchema = Type.Object({ name: Type.String(), role: Type.String(), car: Type.Optional(Type.String()) });

export interface ProvisionProblem {
  /** the field (`wifi.psk`) or file (`edge-keys/client.secret`) that is wrong */
  field: string;
  reason: string;
}

export interface CarKeys {
  secretKey: string;
  publicKey: string;
  serverKey: string;
}

export interface Provisioning {
  file: ProvisionFile;
  keys: CarKeys;
  /** the update repository's root.json the car will trust; absent: the car installs no updates until one is provisioned */
  root?: string;
}

export type ProvisionResult = { ok: true; provisioning: Provisioning } | { ok: false; problems: ProvisionProblem[] };

/** The files of the key folder, by name; undefined: the file is missing. */
export type PairFiles = Readonly<Record<string, string | undefined>>;

function schemaProblems(value: unknown): ProvisionProblem[] {
  return [...Value.Errors(ProvisionFileSchema, value)].slice(0, 10).map((error) => {
    const field = error.path.replace(/^\//, '').replaceAll('/', '.') || '(the file)';
    // the reason names the rule, never the value (it may be the Wi-Fi passphrase)
    return { field, reason: error.message };
  });
}

function keyProblem(field: string, text: string | undefined): string | undefined {
  if (text === undefined) return `${field} is missing (copy the whole folder \`npm run bus -- pair\` wrote)`;
  const key = text.trim();
  const bytes = keyBytes(key);
  return typeof bytes === 'string' ? `${field}: ${bytes}` : undefined;
}

/** Parses and checks `edge-car.yaml`; problems name the field. */
export function parseProvisionFile(text: string): { ok: true; file: ProvisionFile } | { ok: false; problems: ProvisionProblem[] } {
  if (Buffer.byteLength(text) > MAX_PROVISION_BYTES) return { ok: false, problems: [{ field: PROVISION_FILE, reason: `larger than ${MAX_PROVISION_BYTES} bytes` }] };
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 10 });
  } catch (error) {
    return { ok: false, problems: [{ field: PROVISION_FILE, reason: `not valid YAML: ${(error as Error).message.split('\n')[0]}` }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problems: [{ field: PROVISION_FILE, reason: 'must be a mapping (car:, nuc:, …)' }] };
  const problems = schemaProblems(value);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, file: value as ProvisionFile };
}

/** Checks the provisioning file and the key folder together: the keys must be well formed, belong together, and be bound to this car. */
export function checkProvisioning(yamlText: string, pairFiles: PairFiles): ProvisionResult {
  const parsed = parseProvisionFile(yamlText);
  const problems: ProvisionProblem[] = parsed.ok ? [] : [...parsed.problems];
  const field = (file: string): string => `${PAIR_DIR}/${file}`;
  const secretText = pairFiles[CLIENT_KEY_FILES.secretKey];
  const publicText = pairFiles[CLIENT_KEY_FILES.publicKey];
  const serverText = pairFiles[CLIENT_KEY_FILES.serverKey];
  for (const [file, text] of [
    [CLIENT_KEY_FILES.secretKey, secretText],
    [CLIENT_KEY_FILES.publicKey, publicText],
    [CLIENT_KEY_FILES.serverKey, serverText],
  ] as const) {
    const problem = keyProblem(field(file), text);
    if (problem) problems.push({ field: field(file), reason: problem });
  }
  const keysOk = problems.every((p) => !p.field.startsWith(PAIR_DIR));
  if (keysOk && publicKeyOf(secretText!.trim()) !== publicText!.trim()) {
    problems.push({ field: field(CLIENT_KEY_FILES.publicKey), reason: `is not the public half of ${CLIENT_KEY_FILES.secretKey} (files from two pairings?)` });
  }
  const identityText = pairFiles[IDENTITY_FILE];
  if (identityText === undefined) {
    problems.push({ field: field(IDENTITY_FILE), reason: 'is missing: pair the car again with `npm run bus -- pair <name> --role car --car <id> --out <dir>`' });
  } else {
    let identity: unknown;
    try {
      identity = JSON.parse(identityText);
    } catch {
      identity = undefined;
    }
    if (!Value.Check(IdentitySchema, identity)) problems.push({ field: field(IDENTITY_FILE), reason: 'is not the JSON `bus pair` writes ({name, role, car})' });
    else if (identity.role !== 'car' || identity.car === undefined || !isValidId(identity.car)) problems.push({ field: field(IDENTITY_FILE), reason: `the keys are for a ${identity.role}, not a car` });
    else if (parsed.ok && identity.car !== parsed.file.car) problems.push({ field: 'car', reason: `the keys are bound to car ${identity.car}, not car ${parsed.file.car}` });
  }
  const root = pairFiles[ROOT_FILE];
  if (root !== undefined) {
    if (Buffer.byteLength(root) > MAX_ROOT_BYTES) problems.push({ field: field(ROOT_FILE), reason: `larger than ${MAX_ROOT_BYTES} bytes` });
    else if (!isTufRoot(root)) problems.push({ field: field(ROOT_FILE), reason: 'is not a TUF root metadata file (signed._type must be "root")' });
  }
  if (problems.length > 0 || !parsed.ok) return { ok: false, problems };
  return {
    ok: true,
    provisioning: { file: parsed.file, keys: { secretKey: secretText!.trim(), publicKey: publicText!.trim(), serverKey: serverText!.trim() }, ...(root === undefined ? {} : { root }) },
  };
}

function isTufRoot(text: string): boolean {
  try {
    const value = JSON.parse(text) as { signed?: { _type?: unknown } };
    return value?.signed?._type === 'root';
  } catch {
    return false;
  }
}

/** One line per problem, for the console and the log. */
export function describeProblems(problems: readonly ProvisionProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
}

/** Where the car keeps what first boot moves off the FAT partition (all on the data partition). */
export interface CarPaths {
  dataDir: string;
  keysDir: string;
  rootFile: string;
}

export interface HardwareDefaults {
  i2cBus: number;
  camera: readonly string[];
}

/** The car's configuration file, written by first boot: real hardware, the NUC's address, the provisioned keys and root. */
export function carConfigYaml(provisioning: Provisioning, paths: CarPaths, defaults: HardwareDefaults): string {
  const { file } = provisioning;
  const config = {
    dataDir: paths.dataDir,
    bus: { security: 'curve', clientKeys: paths.keysDir },
    nuc: {
      host: file.nuc.host,
      ...(file.nuc.httpPort === undefined ? {} : { httpPort: file.nuc.httpPort }),
      ...(file.nuc.busPublishersPort === undefined ? {} : { busPublishersPort: file.nuc.busPublishersPort }),
      ...(file.nuc.busSubscribersPort === undefined ? {} : { busSubscribersPort: file.nuc.busSubscribersPort }),
    },
    car: {
      i2c: { bus: file.hardware?.i2cBus ?? defaults.i2cBus },
      camera: { source: 'mjpeg', command: [...(file.hardware?.camera ?? defaults.camera)] },
      agent: { trustedRoot: provisioning.root === undefined ? '' : paths.rootFile },
    },
    launcher: { cars: [file.car] },
  };
  return `# written by the car's first boot from ${PROVISION_FILE}; edit that file and provision again\n${stringifyYaml(config)}`;
}

/** wpa_supplicant's network block; the passphrase is quoted and checked printable (no line breaks smuggled in). */
export function wpaSupplicantConf(wifi: NonNullable<ProvisionFile['wifi']>): string {
  const quote = (value: string, field: string): string => {
    if (!/^[\x20-\x7e]*$/.test(value) || value.includes('"')) throw new Error(`wifi.${field} must be printable ASCII without quotes`);
    return `"${value}"`;
  };
  return [
    'ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev',
    'update_config=0',
    ...(wifi.country ? [`country=${wifi.country}`] : []),
    'network={',
    `  ssid=${quote(wifi.ssid, 'ssid')}`,
    `  psk=${quote(wifi.psk, 'psk')}`,
    '  key_mgmt=WPA-PSK SAE',
    '  ieee80211w=1',
    '}',
    '',
  ].join('\n');
}

/** The YAML the image CLI writes for `provision --car … --nuc …`. */
export function provisionFileYaml(file: ProvisionFile): string {
  return stringifyYaml(file);
}
