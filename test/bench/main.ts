/**
 * `npm run bench -- [names...] [--json]`: runs the registered benchmarks (every `*.bench.ts` here),
 * prints a table, and with --json prints a JSON array of {bench, metric, value, unit} as the last line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Benchmark, Metric } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

async function loadBenchmarks(): Promise<Benchmark[]> {
  const files = fs.readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
  const benches: Benchmark[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(here, file)).href)) as { default: Benchmark };
    benches.push(module.default);
  }
  return benches;
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

export function renderTable(metrics: Metric[]): string {
  const rows = [['bench', 'metric', 'value', 'unit'], ...metrics.map((m) => [m.bench, m.metric, formatValue(m.value), m.unit])];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const line = (r: string[]) => r.map((cell, col) => (col === 2 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const all = await loadBenchmarks();
  const unknown = positionals.filter((name) => !all.some((b) => b.name === name));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  const selected = positionals.length ? all.filter((b) => positionals.includes(b.name)) : all;
  const results: Metric[] = [];
  let failed = false;
  for (const bench of selected) {
    process.stderr.write(`running ${bench.name}: ${bench.description}\n`);
    const started = Date.now();
    try {
      results.push(...(await bench.run()));
    } catch (error) {
      failed = true;
      process.stderr.write(`benchmark ${bench.name} failed: ${(error as Error).stack ?? String(error)}\n`);
    }
    process.stderr.write(`  ${bench.name} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  process.stdout.write(`\n${renderTable(results)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
