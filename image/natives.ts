/**
 * The production node_modules the car bundle leaves external (native addons and the tfjs scope), for
 * the target's CPU and Node: installed by npm at the versions of the project's lockfile, prebuilt
 * binaries picked for the target (`--cpu`), addons without one (i2c-bus) compiled against the
 * target Node's headers, with Debian's cross compiler for arm64. Cached by those inputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cachedDir, inputsHash } from './cache.ts';
import { runTool } from './tools.ts';
import type { Target } from './targets.ts';
import type { NodeRuntime } from './node-runtime.ts';

/** What the car services import but the bundle cannot hold. */
export const CAR_NATIVE_PACKAGES = ['zeromq', 'sharp', 'i2c-bus', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] as const;

export interface NativesOptions {
  target: Target;
  node: NodeRuntime;
  /** the project's package-lock.json */
  lockfile: string;
  cacheDir: string;
  progress(line: string): void;
}

/** The exact versions the project's lockfile pins. */
export function lockedVersions(lockText: string, names: readonly string[]): Record<string, string> {
  const lock = JSON.parse(lockText) as { packages?: Record<string, { version?: string }> };
  const out: Record<string, string> = {};
  for (const name of names) {
    const version = lock.packages?.[`node_modules/${name}`]?.version;
    if (!version) throw new Error(`package-lock.json has no version of ${name}`);
    out[name] = version;
  }
  return out;
}

/** The compiler environment: the target Node's headers, and the cross compiler for another CPU. */
export function buildEnv(target: Target, node: NodeRuntime, hostCpu: string): NodeJS.ProcessEnv {
  const cross = target.npmCpu !== hostCpu;
  return {
    ...process.env,
    npm_config_nodedir: node.dir,
    npm_config_arch: target.npmCpu,
    npm_config_target_arch: target.npmCpu,
    npm_config_cpu: target.npmCpu,
    npm_config_os: 'linux',
    npm_config_libc: 'glibc',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...(cross ? { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', AR: 'aarch64-linux-gnu-ar' } : {}),
  };
}

export async function ensureNatives(options: NativesOptions): Promise<{ dir: string; hit: boolean; versions: Record<string, string> }> {
  const versions = lockedVersions(fs.readFileSync(options.lockfile, 'utf8'), CAR_NATIVE_PACKAGES);
  const key = `${options.target.npmCpu}-${inputsHash({ versions, node: options.node.version, v: 1 })}`;
  const result = await cachedDir(path.join(options.cacheDir, 'natives'), key, async (dir) => {
    options.progress(`natives: npm install ${Object.entries(versions).map(([n, v]) => `${n}@${v}`).join(' ')} for linux-${options.target.npmCpu}, Node ${options.node.version}`);
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'edge-car-natives', private: true, dependencies: versions }, null, 2)}\n`);
    const env = buildEnv(options.target, options.node, process.arch);
    await runTool('npm', ['install', '--omit=dev', '--omit=optional', '--no-package-lock', '--foreground-scripts', `--cpu=${options.target.npmCpu}`, '--os=linux', '--libc=glibc'], { cwd: dir, env, onLine: () => {} });
    // sharp's platform packages are optional dependencies: add the target's explicitly (--force: npm
    // checks an explicitly named package against the host's CPU even with --cpu)
    const sharpPackages = ['@img/sharp-linux-' + options.target.npmCpu, '@img/sharp-libvips-linux-' + options.target.npmCpu];
    const sharpLock = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'sharp', 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
    const wanted = sharpPackages.map((name) => `${name}@${sharpLock.optionalDependencies?.[name] ?? 'latest'}`);
    await runTool('npm', ['install', '--no-save', '--no-package-lock', '--force', `--cpu=${options.target.npmCpu}`, '--os=linux', '--libc=glibc', ...wanted], { cwd: dir, env });
    // i2c-bus has no prebuilt binary: compile it for the target's Node (and CPU)
    options.progress(`natives: compiling i2c-bus against Node ${options.node.version} headers for ${options.target.npmCpu}`);
    await runTool('npm', ['rebuild', 'i2c-bus', '--foreground-scripts'], { cwd: dir, env });
    const addon = path.join(dir, 'node_modules', 'i2c-bus', 'build', 'Release', 'i2c.node');
    if (!fs.existsSync(addon)) throw new Error(`i2c-bus did not build (${addon} is missing)`);
    // what a car never needs: build trees, sources, other CPUs' prebuilds
    for (const junk of ['i2c-bus/build/Release/obj.target', 'i2c-bus/build/Release/.deps', 'zeromq/build/darwin', 'zeromq/build/win32', 'zeromq/src', 'zeromq/vendor']) fs.rmSync(path.join(dir, 'node_modules', junk), { recursive: true, force: true });
    pruneForCar(path.join(dir, 'node_modules'));
    const zmqBuilds = path.join(dir, 'node_modules', 'zeromq', 'build', 'linux');
    if (fs.existsSync(zmqBuilds)) for (const cpu of fs.readdirSync(zmqBuilds)) if (cpu !== options.target.npmCpu) fs.rmSync(path.join(zmqBuilds, cpu), { recursive: true, force: true });
  }, (owner) => options.progress(`natives: another build (pid ${owner}) is making it; waiting for it`));
  return { dir: path.join(result.dir, 'node_modules'), hit: result.hit, versions };
}

/** Source maps, type declarations, TypeScript sources and browser bundles: 230 MB of tfjs a car never loads. */
export function isCarJunk(name: string): boolean {
  if (/^(LICENSE|LICENCE|COPYING|NOTICE)/i.test(name)) return false;
  return /\.(map|d\.ts|d\.mts|d\.cts|ts|tsbuildinfo|html|md)$/.test(name) || /(\.min\.js|es2017\.js|fesm\.js)$/.test(name);
}

function pruneForCar(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && isCarJunk(entry.name)) fs.rmSync(full, { force: true });
    else if (entry.isDirectory() && entry.name === 'miniprogram') fs.rmSync(full, { recursive: true, force: true });
  }
}
