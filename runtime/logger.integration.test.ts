/** What a service prints: readable lines on a terminal (npm start in a shell), JSON lines otherwise. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// one line, double quotes only: it goes through a shell inside single quotes
const LOG_TWO_LINES = [
  'import("./runtime/logger.ts").then(({ createLogger }) => {',
  'createLogger("info", { service: "launcher" }).info({ services: 3 }, "all services ready");',
  'createLogger("info", { service: "pilot", car: "7" }).warn("model update rejected"); })',
].join(' ');
const command = `node --import tsx -e '${LOG_TWO_LINES}'`;

describe('createLogger', () => {
  it('prints readable lines when stdout is a terminal', () => {
    // script(1) runs the command on a pseudo-terminal, as a shell would
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    // eslint-disable-next-line no-control-regex
    const text = result.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: launcher: all services ready\r?$/m);
    expect(text).toMatch(/^\s+services: 3\r?$/m);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: pilot \(car 7\): model update rejected\r?$/m);
    expect(text).not.toContain('"level"');
  });

  it('prints one JSON object per line otherwise', () => {
    const result = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { level: 30, service: 'launcher', services: 3, msg: 'all services ready' },
      { level: 40, service: 'pilot', car: '7', msg: 'model update rejected' },
    ]);
  });
});
