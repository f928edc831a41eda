/**
 * Test support: small but real RAUC bundles (verity format) made by the host's `rauc bundle` from a
 * tiny ext4 image (`mkfs.ext4 -d`), signed with keys from createOsKeys. `rauc bundle` needs
 * mksquashfs (squashfs-tools); tests that need these skip with RAUC_MISSING's reason without them.
 * Chunked bundles (`rauc convert`, casync) of them: CASYNC_MISSING.
 */
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { osKeyFiles } from '../../deploy/index.ts';
import { chunkOsBundle, type ChunkedOsBundle } from '../../image/index.ts';

const run = promisify(execFile);

function missingTool(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    return false;
  } catch {
    return true;
  }
}

/** Why bundles cannot be made here, or undefined when they can. */
export const RAUC_MISSING: string | undefined = missingTool('rauc', ['--version'])
  ? 'rauc is not installed (Debian: apt-get install rauc; .ci/run installs it)'
  : missingTool('mksquashfs', ['-version'])
    ? 'mksquashfs is not installed (Debian: apt-get install squashfs-tools; .ci/run installs it)'
    : missingTool('mkfs.ext4', ['-V'])
      ? 'mkfs.ext4 is not installed (Debian: e2fsprogs)'
      : undefined;

/** Why casync cannot run here, or undefined when it can. */
export const CASYNC_TOOL_MISSING: string | undefined = missingTool('casync', ['--version']) ? 'casync is not installed (Debian: apt-get install casync; .ci/run installs it)' : undefined;

/** Why chunked bundles cannot be made here, or undefined when they can. */
export const CASYNC_MISSING: string | undefined = RAUC_MISSING ?? CASYNC_TOOL_MISSING;

/** Random bytes in the slot of a bundle to chunk: RAUC 1.8 refuses a chunked bundle whose index fits one 4 KiB block (fewer than ~100 chunks). */
export const CHUNKABLE_NOISE_BYTES = 8 * 1024 * 1024;

export interface TestBundleOptions {
  /** the keys directory whose offline/ signing certificate and key sign it (createOsKeys) */
  keysDir: string;
  version?: string | null;
  compatible?: string;
  build?: string;
  /** random bytes in the slot (default 32 KiB; CHUNKABLE_NOISE_BYTES for a bundle to chunk) */
  noiseBytes?: number;
  /** the slot's content besides them (e.g. what two OS versions share): file name → bytes */
  files?: Record<string, Uint8Array>;
}

/** Makes `<outDir>/<name>` and returns its path; random content, so two bundles never share bytes. */
export async function makeTestBundle(outDir: string, name: string, options: TestBundleOptions): Promise<string> {
  const work = fs.mkdtempSync(path.join(outDir, '.bundle-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    const content = path.join(work, 'content');
    fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    fs.mkdirSync(content);
    fs.writeFileSync(path.join(rootfs, 'etc', 'edge-os-release'), `EDGE_OS_VERSION=${options.version ?? 'none'}\n`);
    // random bytes: squashfs needs more than one block of payload, and no two test bundles are alike
    const noise = options.noiseBytes ?? 32 * 1024;
    fs.writeFileSync(path.join(rootfs, 'noise'), crypto.randomBytes(noise));
    let extra = 0;
    for (const [name, bytes] of Object.entries(options.files ?? {})) {
      fs.writeFileSync(path.join(rootfs, name), bytes);
      extra += bytes.length;
    }
    const mib = Math.max(1, Math.ceil((noise + extra) / (1024 * 1024)) + (noise + extra > 64 * 1024 ? 2 : 0));
    await run('mkfs.ext4', ['-q', '-F', '-d', rootfs, path.join(content, 'rootfs.ext4'), `${mib}M`], { env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    const version = options.version === undefined ? '0.2.0-test' : options.version;
    fs.writeFileSync(
      path.join(content, 'manifest.raucm'),
      [
        '[update]',
        `compatible=${options.compatible ?? 'edge-car-qemu-x86_64'}`,
        ...(version === null ? [] : [`version=${version}`]),
        `build=${options.build ?? '1765000000'}`,
        '',
        '[bundle]',
        'format=verity',
        '',
        '[image.rootfs]',
        'filename=rootfs.ext4',
        '',
      ].join('\n'),
    );
    const keys = osKeyFiles(options.keysDir);
    const bundle = path.join(outDir, name);
    await run('rauc', ['bundle', '--cert', keys.signingCert, '--key', keys.signingKey, content, bundle]);
    return bundle;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The chunked twin of a test bundle (`rauc convert`, signed with the same keys): `<name>.chunked.raucb`
 * and its store `<name>.chunked.castr/` beside it. The bundle's slot must be large enough
 * (CHUNKABLE_NOISE_BYTES).
 */
export function chunkTestBundle(bundle: string, keysDir: string): Promise<ChunkedOsBundle> {
  const keys = osKeyFiles(keysDir);
  return chunkOsBundle({ bundle, outFile: bundle.replace(/\.raucb$/, '.chunked.raucb'), signingCert: keys.signingCert, signingKey: keys.signingKey, keyring: keys.caCert });
}

/** Flips one byte in the middle of a file (the payload of a bundle this small). */
export function corruptByte(file: string, at = Math.floor(fs.statSync(file).size / 2)): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    fs.writeSync(fd, byte, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}
