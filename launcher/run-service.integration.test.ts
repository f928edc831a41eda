/**
 * The runner's last resort, on a real service process: a rejection nobody owned is counted and the
 * service serves on; a throw nobody owned stops the service cleanly (its stop runs, exit 70) so its
 * supervisor starts a fresh one instead of trusting a half-unwound process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/support/net.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-service-'));

/** A service module whose timer throws (or rejects) once it is ready; it writes what happened to `marks`. */
function writeService(file: string, marks: string, fault: 'throw' | 'reject'): void {
  const raise = fault === 'throw' ? "throw new Error('unowned boom')" : "void Promise.reject(new Error('unowned boom'))";
  fs.writeFileSync(
    file,
    `import fs from 'node:fs';
const mark = (what) => fs.appendFileSync(${JSON.stringify(marks)}, what + '\\n');
export default {
  name: 'probe',
  async start(context) {
    context.ready();
    setTimeout(() => { mark('raised'); ${raise}; }, 50);
    const alive = setInterval(() => mark('alive'), 50);
    return { async stop() { clearInterval(alive); mark('stopped'); } };
  },
};
`,
  );
}

function runService(module: string): { exited: Promise<number | null>; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'launcher/run-service.ts'), 'car', 'probe', '--module', module], {
    cwd: root,
    env: { ...process.env, EDGE_DATA_DIR: path.join(dir, 'data'), EDGE_BUS_SECURITY: 'none' },
    stdio: 'ignore',
  });
  return { exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), kill: () => child.kill('SIGKILL') };
}

const marksOf = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a fault no guard owned', () => {
  it('stops the service cleanly with exit code 70 after an uncaught throw', async () => {
    const marks = path.join(dir, 'throw.marks');
    writeService(path.join(dir, 'throw.mjs'), marks, 'throw');
    const service = runService(path.join(dir, 'throw.mjs'));
    expect(await service.exited).toBe(70);
    expect(marksOf(marks)).toContain('raised');
    expect(marksOf(marks).at(-1)).toBe('stopped');
  });

  it('keeps serving after a rejection nobody awaited', async () => {
    const marks = path.join(dir, 'reject.marks');
    writeService(path.join(dir, 'reject.mjs'), marks, 'reject');
    const service = runService(path.join(dir, 'reject.mjs'));
    try {
      // still marking alive well after the rejection
      await waitFor(() => {
        const seen = marksOf(marks);
        const raisedAt = seen.indexOf('raised');
        return raisedAt >= 0 && seen.slice(raisedAt).filter((m) => m === 'alive').length >= 5;
      }, 'the service to go on after the rejection', 20_000, 50);
      expect(marksOf(marks)).not.toContain('stopped');
    } finally {
      service.kill();
      await service.exited;
    }
  });
});
