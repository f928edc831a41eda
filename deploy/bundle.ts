/**
 * Bundles one car service into a single ESM file with esbuild. Native packages cannot be bundled
 * (they load a compiled .node binary), so they stay imports and the release lists them.
 */
import path from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/** Packages with native code; the car installs these itself, matched to its CPU and Node. */
export const NATIVE_PACKAGES = [
  'zeromq',
  'sharp',
  'i2c-bus',
  'better-sqlite3',
  'node-hid',
  '@tensorflow/tfjs-node',
  'esbuild',
] as const;

/**
 * Scopes kept external as a whole: tfjs-backend-wasm loads its .wasm files from its package directory,
 * and a second bundled copy of tfjs-core would not see the backends registered on the installed one.
 */
export const EXTERNAL_SCOPES = ['@tensorflow'] as const;

export interface ServiceBundle {
  /** the bundled code */
  bytes: Uint8Array;
  /** the native packages the bundle actually imports */
  externals: string[];
  /** the source files whose code is in the bundle (absolute paths), dependencies from node_modules aside */
  sources: string[];
}

export class BundleError extends Error {
  override name = 'BundleError';
}

// ESM output has no `require`; bundled CommonJS dependencies still call it for node: builtins.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Our own modules do their work when called, never when imported (nothing is imported for its
 * effect), so the bundler may leave out a module none of whose exports the service uses: a service
 * that takes one helper from a barrel (runtime/index.ts) does not carry the barrel's YAML loader and
 * logger. Packages keep their own `sideEffects` say.
 */
const OWN_MODULES_ARE_PURE: Plugin = {
  name: 'own-modules-are-pure',
  setup(bundler) {
    bundler.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === OWN_MODULES_ARE_PURE.name) return undefined;
      const resolved = await bundler.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: OWN_MODULES_ARE_PURE.name });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const ownCode = !resolved.path.split(path.sep).includes('node_modules');
      return { path: resolved.path, namespace: resolved.namespace, external: resolved.external, suffix: resolved.suffix, ...(ownCode ? { sideEffects: false } : {}) };
    });
  },
};

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** What every bundle shares: ESM for node 20, natives and the tfjs scope left as imports. */
function commonOptions(externals: readonly string[]) {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...externals.flatMap((name) => [name, `${name}/*`]), ...EXTERNAL_SCOPES.map((scope) => `${scope}/*`)],
    banner: { js: REQUIRE_SHIM },
    metafile: true as const,
    plugins: [OWN_MODULES_ARE_PURE],
    logLevel: 'silent',
    legalComments: 'none',
  } satisfies BuildOptions;
}

function bundleError(entry: string, error: unknown): BundleError {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
  const detail = errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('; ');
  return new BundleError(`cannot bundle ${entry}: ${detail ?? (error as Error).message}`);
}

export async function buildServiceBundle(entry: string, options: { externals?: readonly string[] } = {}): Promise<ServiceBundle> {
  const externals = options.externals ?? NATIVE_PACKAGES;
  let result;
  try {
    result = await build({ ...commonOptions(externals), entryPoints: [path.resolve(entry)], write: false as const, outfile: 'service.js' });
  } catch (error) {
    throw bundleError(entry, error);
  }
  const output = result.outputFiles.find((f) => f.path.endsWith('service.js'));
  if (!output) throw new BundleError(`esbuild produced no output for ${entry}`);
  const used = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) if (imported.external && !imported.path.startsWith('node:')) used.add(packageOf(imported.path));
  }
  const native = new Set<string>(externals);
  const scoped = (name: string): boolean => EXTERNAL_SCOPES.some((scope) => name.startsWith(`${scope}/`));
  const sources = Object.entries(result.metafile.outputs[path.relative(process.cwd(), path.resolve('service.js'))]?.inputs ?? {})
    .filter(([input, { bytesInOutput }]) => bytesInOutput > 0 && !input.split('/').includes('node_modules'))
    .map(([input]) => input)
    .map((input) => path.resolve(input))
    .sort();
  return { bytes: output.contents, externals: [...used].filter((name) => native.has(name) || scoped(name)).sort(), sources };
}

/**
 * Bundles the service runner (launcher/run-service.ts, with any other entries) and every service it can load into `outDir`,
 * split into chunks so each process loads only its own service's code: what a car runs with plain
 * `node`, without compiling TypeScript in every process. Returns the source files it was built from
 * (absolute), dependencies from node_modules aside, to tell when it is out of date.
 */
export async function buildRunnerBundle(entry: string | readonly string[], outDir: string): Promise<string[]> {
  // several entries (the car OS image adds its own) share one set of chunks
  const entries = typeof entry === 'string' ? [entry] : entry;
  let result;
  try {
    result = await build({ ...commonOptions(NATIVE_PACKAGES), entryPoints: entries.map((e) => path.resolve(e)), outdir: outDir, splitting: true, chunkNames: 'chunk-[hash]', entryNames: '[name]' });
  } catch (error) {
    throw bundleError(entries.join(', '), error);
  }
  return Object.keys(result.metafile.inputs)
    .filter((input) => !input.split('/').includes('node_modules'))
    .map((input) => path.resolve(input))
    .sort();
}
