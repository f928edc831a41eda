/**
 * `npm run docs:bus`: writes the bus contract generated from the schemas and the role table into the
 * README (between its markers) and docs/asyncapi.json. `--check` writes nothing and fails when either
 * is stale (the test `launcher/docs-bus.test.ts` runs the same check).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAsyncApi, renderBusContract, replaceGeneratedBlock } from '../protocol/index.ts';
import { isMainModule } from './command-line.ts';

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The two generated files and what they should hold. */
export function busContractFiles(root = REPOSITORY_ROOT): { file: string; current: string | undefined; wanted: string }[] {
  const readme = path.join(root, 'README.md');
  const asyncapi = path.join(root, 'docs', 'asyncapi.json');
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  const readmeText = read(readme) ?? '';
  return [
    { file: readme, current: readmeText, wanted: replaceGeneratedBlock(readmeText, renderBusContract()) },
    { file: asyncapi, current: read(asyncapi), wanted: `${JSON.stringify(buildAsyncApi(), null, 2)}\n` },
  ];
}

/** The stale files' paths (after writing them, unless `check`). */
export function updateBusContract(options: { check: boolean; root?: string }): string[] {
  const stale = busContractFiles(options.root).filter((entry) => entry.current !== entry.wanted);
  if (!options.check) for (const entry of stale) fs.writeFileSync(entry.file, entry.wanted);
  return stale.map((entry) => entry.file);
}

if (isMainModule(import.meta.url)) {
  const check = process.argv.includes('--check');
  try {
    const stale = updateBusContract({ check });
    if (check && stale.length > 0) {
      process.stderr.write(`stale, run \`npm run docs:bus\`: ${stale.map((file) => path.relative(REPOSITORY_ROOT, file)).join(', ')}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(stale.length === 0 ? 'the bus contract is up to date\n' : `wrote ${stale.map((file) => path.relative(REPOSITORY_ROOT, file)).join(', ')}\n`);
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
