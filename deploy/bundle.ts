/**
 * Bundles one car service into a single ESM file with esbuild. Native packages cannot be bundled
 * (they load a compiled .node binary), so they stay imports and the release lists them.
 */
import path from 'node:path';
import { build } from 'esbuild';

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
  /** the source files bundled (absolute paths), dependencies from node_modules aside */
  sources: string[];
}

export class BundleError extends Error {
  override name = 'BundleError';
}

// ESM output has no `require`; bundled CommonJS dependencies still call it for node: builtins.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

export async function buildServiceBundle(entry: string, options: { externals?: readonly string[] } = {}): Promise<ServiceBundle> {
  const externals = options.externals ?? NATIVE_PACKAGES;
  let result;
  try {
    result = await build({
      entryPoints: [path.resolve(entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      outfile: 'service.js',
      external: [...externals.flatMap((name) => [name, `${name}/*`]), ...EXTERNAL_SCOPES.map((scope) => `${scope}/*`)],
      banner: { js: REQUIRE_SHIM },
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
    });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    const detail = errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('; ');
    throw new BundleError(`cannot bundle ${entry}: ${detail ?? (error as Error).message}`);
  }
  const output = result.outputFiles.find((f) => f.path.endsWith('service.js'));
  if (!output) throw new BundleError(`esbuild produced no output for ${entry}`);
  const used = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) if (imported.external && !imported.path.startsWith('node:')) used.add(packageOf(imported.path));
  }
  const native = new Set<string>(externals);
  const scoped = (name: string): boolean => EXTERNAL_SCOPES.some((scope) => name.startsWith(`${scope}/`));
  const sources = Object.keys(result.metafile.inputs)
    .filter((input) => !input.split('/').includes('node_modules'))
    .map((input) => path.resolve(input))
    .sort();
  return { bytes: output.contents, externals: [...used].filter((name) => native.has(name) || scoped(name)).sort(), sources };
}
