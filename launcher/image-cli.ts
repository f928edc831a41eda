/**
 * `npm run image -- build | bundle | provision`: the car's OS image. `build` makes a flashable image
 * for a target (raw, zstd copy, manifest) from Debian's archive and the npm registry, cached under the
 * data directory, with the OS code-signing CA as its RAUC keyring; `bundle` makes the signed RAUC
 * bundle of that OS (an OS update) and its chunked twin with its chunk store (a delta download); `provision` writes edge-car.yaml and a car's key folder into an
 * image's boot partition.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { osKeyFiles } from '../deploy/index.ts';
import { buildImage, bundleFromImage, provisionImage, verifyOsBundle, TARGETS, targetOf, type ImageBuildResult, type ProvisionFile, type Target } from '../image/index.ts';
import { COMMON_OPTIONS, COMMON_USAGE, UsageError, isMainModule, runSubcommand, type CliIo } from './command-line.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const USAGE = `usage: npm run image -- <command> [options]

  build --target ${TARGETS.join('|')} [--out <dir>] [--mirror <url>] [--keyring <pem>]
                    build car-<version>-<target>.img, its .zst copy and its manifest (default --out
                    <data>/images); needs root and Debian's tools (a missing one is named with its
                    package). Root file system, Node and native addons are cached in <data>/cache/image.
                    --keyring: the OS code-signing CA's certificate, the image's RAUC keyring (default
                    <data>/keys/offline/os-ca.cert.pem, made by \`npm run deploy -- init\`)
  bundle --target ${TARGETS.join('|')} [--out <dir>] [--mirror <url>] [--keyring <pem>] [--cert <pem> --key <pem>] [--no-chunked]
                    the OS update: car-<version>-<target>.raucb (RAUC, verity, signed) beside the image,
                    which is built as \`build\` does unless --out already holds it; signed with
                    <data>/keys/offline/os-signing.cert.pem and .key.pem unless --cert/--key say otherwise;
                    and its chunked twin (rauc convert): car-<version>-<target>.chunked.raucb, a small
                    bundle whose image is the slot's casync index, with its chunk store
                    car-<version>-<target>.chunked.castr/ (cars fetch only the chunks they lack);
                    --no-chunked: the verity bundle only
  provision <image> --car <id> --nuc <address> --pair-dir <dir> [--wifi-ssid <ssid> --wifi-psk-file <file>]
            [--wifi-country <CC>] [--ssh-key <file>] [--i2c-bus <n>]
            [--nuc-http-port <n>] [--nuc-pub-port <n>] [--nuc-sub-port <n>]   (only when the NUC's ports are not the defaults)
                    write edge-car.yaml and the key folder \`npm run bus -- pair … --role car --out <dir>\`
                    wrote into the image's boot partition; the car checks and applies them at first boot
${COMMON_USAGE}`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  target: { type: 'string' },
  out: { type: 'string' },
  mirror: { type: 'string' },
  keyring: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'no-chunked': { type: 'boolean' },
  car: { type: 'string' },
  nuc: { type: 'string' },
  'pair-dir': { type: 'string' },
  'wifi-ssid': { type: 'string' },
  'wifi-psk-file': { type: 'string' },
  'wifi-country': { type: 'string' },
  'ssh-key': { type: 'string' },
  'i2c-bus': { type: 'string' },
  'nuc-http-port': { type: 'string' },
  'nuc-pub-port': { type: 'string' },
  'nuc-sub-port': { type: 'string' },
} as const;

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function portOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag} must be a port number, got '${value}'`);
  return port;
}

function readSmallFile(file: string, what: string): string {
  try {
    if (fs.statSync(file).size > 64 * 1024) throw new UsageError(`${what} ${file} is larger than 64 KiB`);
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

function printBuild(result: ImageBuildResult, io: CliIo): void {
  const { manifest } = result;
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
  io.out(`built ${result.image} (${mb(manifest.image.bytes)}; ${path.basename(result.compressed)} ${mb(manifest.image.compressed.bytes)})`);
  io.out(`manifest ${result.manifestFile}: OS ${manifest.osVersion} (build ${manifest.osBuild}, ${manifest.compatible}), ${manifest.packages.length} packages, Node ${manifest.node.version}, kernel ${manifest.kernel}`);
  io.out(`root file system ${mb(manifest.sizes.rootfsUsedBytes)}: kernel and modules ${mb(manifest.sizes.kernelAndModulesBytes)}, Node ${mb(manifest.sizes.nodeBytes)}, addons ${mb(manifest.sizes.addonsBytes)}, car bundle ${mb(manifest.sizes.carBundleBytes)}, the rest ${mb(manifest.sizes.restBytes)}`);
  if (Object.keys(result.steps).length > 0) io.out(`steps: ${Object.entries(result.steps).map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', ')}`);
}

export function runImageCli(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parse = () => parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  return runSubcommand({ name: 'image', usage: USAGE, io, env }, parse, async (command, rest, values, config) => {
    switch (command) {
      case 'build':
      case 'bundle': {
        if (rest.length > 0) throw new UsageError(`${command} takes no arguments, got '${rest.join(' ')}'`);
        if (!values.target) throw new UsageError(`${command} needs --target ${TARGETS.join('|')}`);
        let target: Target;
        try {
          target = targetOf(values.target);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        const keys = osKeyFiles(path.join(config.dataDir, 'keys'));
        const keyring = path.resolve(values.keyring ?? keys.caCert);
        if (!fs.existsSync(keyring)) {
          throw new UsageError(values.keyring ? `--keyring ${keyring} does not exist` : `no OS code-signing CA at ${keyring} (the image's RAUC keyring): run npm run deploy -- init, or name one with --keyring`);
        }
        if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together');
        if (command === 'build' && (values.cert || values.key)) throw new UsageError('--cert/--key sign bundles: use them with bundle');
        if (command === 'build' && values['no-chunked']) throw new UsageError('--no-chunked is an option of bundle');
        const signing = { cert: path.resolve(values.cert ?? keys.signingCert), key: path.resolve(values.key ?? keys.signingKey) };
        if (command === 'bundle') {
          for (const [flag, file] of [['--cert', signing.cert], ['--key', signing.key]] as const) {
            if (!fs.existsSync(file)) throw new UsageError(values.cert ? `${flag} ${file} does not exist` : `no OS signing ${flag.slice(2)} at ${file}: run npm run deploy -- init, or name one with ${flag}`);
          }
        }
        const started = performance.now();
        const progress = (line: string): void => io.out(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
        const result = await buildImage({
          target,
          outDir: path.resolve(values.out ?? path.join(config.dataDir, 'images')),
          cacheDir: path.resolve(config.dataDir, 'cache', 'image'),
          projectRoot: ROOT,
          keyring,
          // a bundle is of the image its inputs make: one already built is its image
          reuseBuilt: command === 'bundle',
          ...(values.mirror ? { mirror: values.mirror } : {}),
          progress,
        });
        printBuild(result, io);
        if (command === 'bundle') {
          const bundle = await bundleFromImage({
            image: result.image,
            manifest: result.manifest,
            signingCert: signing.cert,
            signingKey: signing.key,
            ...(values['no-chunked'] ? {} : { chunked: { keyring } }),
            progress,
          });
          io.out(`bundle ${bundle.file}: ${(bundle.bytes / 1e6).toFixed(1)} MB, sha256 ${bundle.sha256} (${result.manifest.compatible} ${result.manifest.osVersion}, build ${result.manifest.osBuild}; made in ${bundle.seconds.toFixed(1)} s)`);
          // signed by a certificate the image's keyring trusts: what each car checks before installing
          const verified = await verifyOsBundle(bundle.file, keyring).catch((error: Error) => {
            throw new Error(`the bundle is made but its signature does not verify against the keyring ${keyring}: ${error.message.split('\n').slice(-2).join(' ')}`);
          });
          io.out(`verified against ${keyring}: ${verified.compatible} ${verified.version} build ${verified.build}`);
          const { chunked } = bundle;
          if (chunked) {
            // chunkOsBundle checked it as publish os does: signature, payload, every chunk in the store and intact
            io.out(`chunked bundle ${chunked.file}: ${(chunked.bytes / 1e6).toFixed(1)} MB, sha256 ${chunked.sha256} (made in ${chunked.seconds.toFixed(1)} s)`);
            io.out(`chunk store ${chunked.store}/: ${chunked.chunks} chunks, ${(chunked.storeBytes / 1e6).toFixed(1)} MB (the ${(chunked.slotBytes / 1e6).toFixed(1)} MB slot, compressed)`);
            io.out(`verified against ${keyring}: ${chunked.verified.compatible} ${chunked.verified.version} build ${chunked.verified.build}; every chunk its index names is in the store, intact`);
          }
        }
        return 0;
      }
      case 'provision': {
        if (rest.length !== 1) throw new UsageError('provision needs exactly one image file');
        if (!values.car) throw new UsageError('provision needs --car <id>');
        if (!values.nuc) throw new UsageError('provision needs --nuc <address>');
        if (!values['pair-dir']) throw new UsageError('provision needs --pair-dir <dir> (what `npm run bus -- pair … --role car --out <dir>` wrote)');
        if ((values['wifi-ssid'] === undefined) !== (values['wifi-psk-file'] === undefined)) throw new UsageError('--wifi-ssid and --wifi-psk-file go together');
        const i2cBus = values['i2c-bus'] === undefined ? undefined : Number(values['i2c-bus']);
        if (i2cBus !== undefined && !Number.isInteger(i2cBus)) throw new UsageError(`--i2c-bus must be a bus number, got '${values['i2c-bus']}'`);
        const file: ProvisionFile = {
          car: values.car,
          nuc: {
            host: values.nuc,
            ...optional('httpPort', portOption(values['nuc-http-port'], '--nuc-http-port')),
            ...optional('busPublishersPort', portOption(values['nuc-pub-port'], '--nuc-pub-port')),
            ...optional('busSubscribersPort', portOption(values['nuc-sub-port'], '--nuc-sub-port')),
          },
          ...(values['wifi-ssid'] ? { wifi: { ssid: values['wifi-ssid'], psk: readSmallFile(values['wifi-psk-file']!, '--wifi-psk-file').trim(), ...(values['wifi-country'] ? { country: values['wifi-country'] } : {}) } } : {}),
          ...(values['ssh-key'] ? { sshKey: readSmallFile(values['ssh-key'], '--ssh-key').trim() } : {}),
          ...(i2cBus === undefined ? {} : { hardware: { i2cBus } }),
        };
        await provisionImage({ image: path.resolve(rest[0]!), file, pairDir: path.resolve(values['pair-dir']) });
        io.out(`provisioned ${rest[0]} for car ${values.car} (NUC ${values.nuc}${file.wifi ? `, Wi-Fi ${file.wifi.ssid}` : ''}${file.sshKey ? ', SSH key' : ''}): first boot checks it and moves the keys to the data partition`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  });
}

if (isMainModule(import.meta.url)) {
  const code = await runImageCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
