import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { README_MARKERS } from '../protocol/index.ts';
import { busContractFiles, updateBusContract } from './docs-bus.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the generated bus contract', () => {
  it('is what the README and docs/asyncapi.json hold (run `npm run docs:bus` after changing a schema or the role table)', () => {
    for (const { file, current, wanted } of busContractFiles()) expect(current, `${file} is stale: run npm run docs:bus`).toBe(wanted);
  });

  it('notices a stale copy and writes the fresh one', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-bus-'));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, 'README.md'), `# x\n\n${README_MARKERS.begin}\nold\n${README_MARKERS.end}\n\nafter\n`);
    fs.writeFileSync(path.join(root, 'docs', 'asyncapi.json'), '{}\n');
    expect(updateBusContract({ check: true, root }).map((file) => path.basename(file))).toEqual(['README.md', 'asyncapi.json']);
    expect(updateBusContract({ check: false, root })).toHaveLength(2);
    expect(updateBusContract({ check: true, root })).toEqual([]);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('| `angle` | number | yes |  | -1 … 1 |');
    expect(readme.endsWith('\n\nafter\n')).toBe(true);
  });

  it('refuses a README without the markers', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-bus-'));
    dirs.push(root);
    fs.writeFileSync(path.join(root, 'README.md'), '# no markers\n');
    expect(() => updateBusContract({ check: true, root })).toThrow(/no generated bus contract block/);
  });
});
