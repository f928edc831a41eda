/** The commands as a user types them: each answers --help and -h, and they share one data directory. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('npm', ['run', '--silent', script, '--', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
}

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-commands-'));
  dirs.push(dir);
  return dir;
}

describe('commands', () => {
  // each case starts a real process (npm, then node with tsx): give it the time a loaded machine needs
  const PROCESS_TEST = { timeout: 150_000 };

  it.each(
    [
      ['start', 'npm start'],
      ['nuc', 'npm start'],
      ['car', 'npm start'],
      ['service', 'npm run service'],
      ['train', 'npm run train'],
      ['deploy', 'npm run deploy'],
      ['bus', 'npm run bus'],
    ].flatMap(([script, usage]) => ['--help', '-h'].map((flag) => [script!, flag, usage!])),
  )('npm run %s %s prints its usage and exits 0', PROCESS_TEST, (script, flag, usage) => {
    const result = npmRun(script, [flag]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`usage: ${usage}`);
    expect(result.stdout).toMatch(/-h, --help/);
  });

  it('deploy init writes under EDGE_DATA_DIR (the directory npm start uses), and --data overrides it', PROCESS_TEST, () => {
    const dataDir = tempDir();
    const init = npmRun('deploy', ['init'], { EDGE_DATA_DIR: dataDir });
    expect(init.stderr).toBe('');
    expect(init.status).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'keys', 'offline', 'root.pem'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'ota', 'repository', 'metadata', 'root.json'))).toBe(true);

    const other = tempDir();
    expect(npmRun('deploy', ['status', '--data', other], { EDGE_DATA_DIR: dataDir }).stderr).toMatch(new RegExp(`no repository .*${other}`));
    expect(npmRun('deploy', ['status'], { EDGE_DATA_DIR: dataDir }).stdout).toMatch(/nothing published yet/);
  });

  it('refuses a bad configuration the same way in every command', PROCESS_TEST, () => {
    const file = path.join(tempDir(), 'edge.yaml');
    fs.writeFileSync(file, 'dataDir: ""\n');
    const commandOf: Record<string, string[]> = { deploy: ['status'], train: ['eval', 'm'], bus: ['list'] };
    for (const script of ['start', 'train', 'deploy', 'bus']) {
      const result = npmRun(script, [...(commandOf[script] ?? []), '--config', file]);
      expect(result.status, script).toBe(2);
      expect(result.stderr, script).toContain(`configuration error in ${file}: dataDir:`);
    }
  });
});
