import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { METADATA_FILE, type ModelMetadata } from '../model/index.ts';
import type { ClosedLoopResult } from '../trainer/index.ts';
import { TubWriter } from '../trainer/tub/index.ts';
import { fastFs, tempDir, writeTub } from '../test/support/tubs.ts';
import { UsageError } from './command-line.ts';
import { formatTable, inDataDir, parseCommand, progressBar, runCli } from './train-cli.ts';

async function run(argv: string[], live = false, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), live }, env);
  return { code, stdout, stderr };
}

describe('parseCommand', () => {
  it('reads several tubs after one --tubs and applies defaults', () => {
    expect(parseCommand(['--tubs', 'a', 'b', '--out', 'm', '--kind', 'fast'])).toEqual({ command: 'train', tubs: ['a', 'b'], out: 'm', kind: 'fast', epochs: 100, batchSize: 128, seed: 1 });
    expect(parseCommand(['train', '--out', 'm', '--tubs', 'a', '--epochs', '3', '--batch', '8', '--seed', '0'])).toMatchObject({ tubs: ['a'], epochs: 3, batchSize: 8, seed: 0 });
  });

  it('reads an eval command', () => {
    expect(parseCommand(['eval', 'models/x', '--tracks', 'twisty', '--laps', '2', '--throttle', '0.3'])).toEqual({ command: 'eval', modelDir: 'models/x', tracks: ['twisty'], laps: 2, maxSeconds: undefined, throttle: 0.3 });
    expect(parseCommand(['eval', 'm'])).toMatchObject({ tracks: ['default', 'twisty'], laps: 1, throttle: 'model' });
  });

  it.each([
    [['--tubs', 'a', '--out', 'm', '--speed', '3'], /unknown flag --speed/],
    [['--out', 'm'], /no tubs/],
    [['--tubs', 'a'], /--out <dir> is required/],
    [['--tubs', 'a', '--out', 'm', '--kind', 'huge'], /--kind must be one of linear, fast/],
    [['--tubs', 'a', '--out', 'm', '--epochs', '0'], /--epochs must be an integer >= 1/],
    [['--tubs', 'a', '--out', 'm', '--batch', 'x'], /--batch must be an integer/],
    [['eval'], /needs a model directory/],
    [['eval', 'm', '--tracks', 'default,moon'], /unknown track moon/],
    [['eval', 'm', '--throttle', '3'], /--throttle must be/],
    [[], /no command/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('runCli errors', () => {
  it('exits 2 with the reason and the usage on a bad flag', async () => {
    const result = await run(['--tubs', 'a', '--out', 'm', '--wat']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown flag --wat/);
    expect(result.stderr).toMatch(/usage:/);
  });

  it('exits 2 when a tub folder does not exist', async () => {
    const dir = await tempDir();
    const result = await run(['--tubs', path.join(dir, 'missing'), '--out', path.join(dir, 'model')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing is not a directory/);
  });

  it('exits 2 when the tubs hold too few usable records, and writes no model', async () => {
    const dir = await tempDir();
    const tub = path.join(dir, 'tub');
    await (await writeTub(tub, 6)).close();
    const out = path.join(dir, 'model');
    const result = await run(['--tubs', tub, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/too few records: \d+ user-mode records/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('exits 2 when eval is given a folder that does not exist', async () => {
    const result = await run(['eval', '/nonexistent/model']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not a directory/);
  });
});

describe('the data directory', () => {
  it('finds a bare tub or model name there, from the configuration or --data', async () => {
    const dataDir = await tempDir();
    const train = await run(['--tubs', 'session1', '--out', 'pilot-a'], false, { EDGE_DATA_DIR: dataDir });
    expect(train.code).toBe(2);
    expect(train.stderr).toContain(`tub ${path.join(dataDir, 'tubs', 'session1')} is not a directory`);
    const other = await tempDir();
    const evaluated = await run(['eval', 'pilot-a', '--data', other], false, { EDGE_DATA_DIR: dataDir });
    expect(evaluated.stderr).toContain(`model ${path.join(other, 'models', 'pilot-a')} is not a directory`);
  });

  it('leaves a path (with a slash) as given', () => {
    expect(inDataDir('/srv/edge', 'tubs', 'tub_1')).toBe('/srv/edge/tubs/tub_1');
    expect(inDataDir('/srv/edge', 'tubs', './tub_1')).toBe('./tub_1');
    expect(inDataDir('/srv/edge', 'models', 'data/models/x')).toBe('data/models/x');
    expect(inDataDir('/srv/edge', 'models', '..')).toBe('..');
  });

  it('answers --help and -h with the usage, exit code 0', async () => {
    for (const flag of ['--help', '-h']) {
      const result = await run(['eval', flag]);
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toMatch(/^usage: npm run train/);
    }
  });
});

describe('train then eval', () => {
  it('trains a small model from a tub, saves it with its tubs and metrics, and evaluates it', async () => {
    const dir = await tempDir();
    const tub = path.join(dir, 'tub');
    const writer = await TubWriter.create(tub, { fs: fastFs });
    for (let i = 0; i < 16; i++) {
      const level = (i % 4) * 80;
      const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: level, g: level, b: level } } }).jpeg().toBuffer();
      await writer.write({ jpeg, angle: (i % 4) / 3 - 0.5, throttle: 0.3, mode: 'user', timestampMs: 1_700_000_000_000 + i * 50 });
    }
    await writer.close();
    const out = path.join(dir, 'model');
    const trained = await run(['--tubs', tub, '--out', out, '--kind', 'fast', '--epochs', '2', '--batch', '8'], true);
    expect(trained.stderr).toMatch(/epoch 2\/2 \[#+\]/);
    // On a terminal each batch redraws the bar in place.
    expect(trained.stderr).toContain('\r\x1b[Kepoch 1/2 [##########..........] batch 1/2 loss ');
    expect(trained.code).toBe(0);
    const metadata = JSON.parse(fs.readFileSync(path.join(out, METADATA_FILE), 'utf8')) as ModelMetadata;
    expect(metadata.kind).toBe('fast');
    expect(metadata.tubs).toEqual([path.resolve(tub)]);
    expect(metadata.metrics?.epochs).toBe(2);

    const evaluated = await run(['eval', out, '--tracks', 'default', '--max-seconds', '1', '--throttle', '0.3']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/validation loss \(training\): \d/);
    expect(evaluated.stdout).toMatch(/^track\s+laps\s+clean\s+off-track/m);
    expect(evaluated.stdout).toMatch(/^default\s+0\/1\s+0\s+\d+\s+\d+\.\d{3}/m);
  });
});

describe('output helpers', () => {
  it('draws a proportional bar, clamped to its ends', () => {
    expect(progressBar(1, 4, 8)).toBe('[##......]');
    expect(progressBar(9, 4, 4)).toBe('[####]');
    expect(progressBar(1, 0, 4)).toBe('[....]');
  });

  it('aligns the table and shows a missing expert lap as a dash', () => {
    const result: ClosedLoopResult = { track: 'twisty', lapsAttempted: 2, lapsCompleted: 1, lapsFinished: 2, offTrackEvents: 1, meanAbsCteM: 0.1234, lapTimesS: [12.34, 13], expertLapS: null, simulatedS: 25.3, endReason: 'laps' };
    const lines = formatTable([result]).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^twisty\s+2\/2\s+1\s+1\s+0\.123\s+12\.3 13\.0\s+-\s+laps$/);
    expect(lines[0]!.indexOf('laps')).toBe(lines[1]!.indexOf('2/2'));
  });
});
