import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { METADATA_FILE, type ModelMetadata } from '../model/index.ts';
import type { ClosedLoopResult } from '../trainer/index.ts';
import { saveTrainFilter, TubWriter } from '../tub/index.ts';
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
    expect(parseCommand(['--tubs', 'a', 'b', '--out', 'm', '--kind', 'fast'])).toEqual({ command: 'train', tubs: ['a', 'b'], out: 'm', kind: 'fast', crop: { top: 0, bottom: 0 }, epochs: undefined, batchSize: undefined, schedule: undefined, seed: 1 });
    expect(parseCommand(['--tubs', 'a', '--out', 'm', '--schedule', 'cosine'])).toMatchObject({ schedule: 'cosine' });
    expect(parseCommand(['--tubs', 'a', '--out', 'm', '--kind', 'memory', '--crop', '40,10'])).toMatchObject({ kind: 'memory', crop: { top: 40, bottom: 10 } });
    expect(parseCommand(['--tubs', 'a', '--out', 'm', '--kind', 'categorical'])).toMatchObject({ kind: 'categorical' });
    expect(parseCommand(['train', '--out', 'm', '--tubs', 'a', '--epochs', '3', '--batch', '8', '--seed', '0'])).toMatchObject({ tubs: ['a'], epochs: 3, batchSize: 8, seed: 0 });
  });

  it('reads an eval command', () => {
    expect(parseCommand(['eval', 'models/x', '--tracks', 'twisty', '--laps', '2', '--throttle', '0.3'])).toEqual({ command: 'eval', modelDir: 'models/x', tracks: ['twisty'], laps: 2, maxSeconds: undefined, throttle: 0.3 });
    // the laps default to the NUC's (nuc.training.evalLaps), so the gate's verdict matches
    expect(parseCommand(['eval', 'm'])).toMatchObject({ tracks: ['default', 'twisty'], laps: undefined, throttle: 'model' });
    expect(parseCommand(['eval', 'm', '--tracks', 'default,./my-track.json,tracks/hall.json'])).toMatchObject({ tracks: ['default', './my-track.json', 'tracks/hall.json'] });
  });

  it.each([
    [['--tubs', 'a', '--out', 'm', '--speed', '3'], /unknown flag --speed/],
    [['--out', 'm'], /no tubs/],
    [['--tubs', 'a'], /--out <dir> is required/],
    [['--tubs', 'a', '--out', 'm', '--kind', 'huge'], /--kind must be one of linear, fast, categorical, memory/],
    [['--tubs', 'a', '--out', 'm', '--crop', '40'], /--crop takes top,bottom rows as two whole numbers, e.g. --crop 40,0; got 40/],
    [['--tubs', 'a', '--out', 'm', '--crop', '-1,0'], /--crop takes top,bottom/],
    [['--tubs', 'a', '--out', 'm', '--schedule', 'warp'], /--schedule must be constant or cosine, got warp/],
    [['--tubs', 'a', '--out', 'm', '--epochs', '0'], /--epochs must be an integer >= 1/],
    [['--tubs', 'a', '--out', 'm', '--batch', 'x'], /--batch must be an integer/],
    [['eval'], /needs a model directory/],
    [['eval', 'm', '--tracks', 'default,moon'], /unknown track moon \(a simulator track: default, twisty; or a track file, e\.g\. \.\/my-track\.json\)/],
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
    expect(result.stderr).toMatch(/too few records: 5 kept by the tubs' filters \(1 filtered out\), at least 10 needed/);
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

  it('answers --help and -h with the usage, exit code 0, alone or after a command', async () => {
    for (const argv of [['--help'], ['-h'], ['eval', '--help'], ['train', '-h']]) {
      const result = await run(argv);
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toMatch(/^usage: npm run train -- \[train\] --tubs <tubs\.\.\.> --out <model> \[--kind linear\|fast\|categorical\|memory\]/);
      expect(result.stdout).toMatch(/--crop top,bottom/);
      expect(result.stdout).toMatch(/eval <model> \[--tracks default,twisty,\.\/my-track\.json\]/);
    }
  });
});

describe('train then eval', () => {
  it('trains a small cropped model from a tub through its saved filter, saves it with its tubs and metrics, and evaluates it on a track file', async () => {
    const dir = await tempDir();
    const tub = path.join(dir, 'tub');
    const writer = await TubWriter.create(tub, { fs: fastFs });
    for (let i = 0; i < 20; i++) {
      const level = (i % 4) * 80;
      const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: level, g: level, b: level } } }).jpeg().toBuffer();
      await writer.write({ jpeg, angle: (i % 4) / 3 - 0.5, throttle: i < 4 ? 0 : 0.3, mode: 'user', timestampMs: 1_700_000_000_000 + i * 50 });
    }
    await writer.close();
    // the editor's filter: the four standing records are left out
    await saveTrainFilter(tub, 'user/throttle > 0.1');
    const out = path.join(dir, 'model');
    const trained = await run(['--tubs', tub, '--out', out, '--kind', 'fast', '--crop', '20,0', '--epochs', '2', '--batch', '8'], true);
    expect(trained.stderr).toMatch(/records: 16 \(train \d+, validation \d+\); model fast/);
    expect(trained.stderr).toMatch(/epoch 2\/2 \[#+\]/);
    // On a terminal each batch redraws the bar in place.
    expect(trained.stderr).toContain('\r\x1b[Kepoch 1/2 [');
    expect(trained.stderr).toMatch(/epoch 1\/2 \[#+\.*\] batch 1\/2 loss /);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/not evaluated yet: only the NUC's evaluation makes it a candidate/);
    const metadata = JSON.parse(fs.readFileSync(path.join(out, METADATA_FILE), 'utf8')) as ModelMetadata;
    expect(metadata).toMatchObject({ kind: 'fast', crop: { top: 20, bottom: 0 }, inputShape: [40, 80, 3], tubs: [path.resolve(tub)] });
    expect(metadata.metrics?.epochs).toBe(2);
    expect((metadata.metrics?.trainSamples ?? 0) + (metadata.metrics?.validationSamples ?? 0)).toBe(16);

    // a track file in the simulator's format, beside a simulator track
    const trackFile = path.join(dir, 'oval.json');
    fs.writeFileSync(trackFile, JSON.stringify({ name: 'oval', width: 1.2, points: [[0, 0], [6, 0], [8, 3], [6, 6], [0, 6], [-2, 3]] }));
    const evaluated = await run(['eval', out, '--tracks', `default,${trackFile}`, '--laps', '1', '--max-seconds', '1', '--throttle', '0.3']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/validation loss \(training\): \d/);
    expect(evaluated.stdout).toMatch(/^track\s+laps\s+clean\s+off-track/m);
    expect(evaluated.stdout).toMatch(/^default\s+0\/1\s+0\s+\d+\s+\d+\.\d{3}/m);
    expect(evaluated.stdout).toMatch(/^oval\s+0\/1\s+0\s+\d+\s+\d+\.\d{3}\s+-\s+\d+\.\d\s+time$/m);
    expect(evaluated.stdout).toMatch(/candidate gate: would reject it: default: 0 clean laps of 1, the gate needs 1; oval: 0 clean laps of 1, the gate needs 1/);

    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, JSON.stringify({ width: 1.2, points: [[0, 0], [1, 0]] }));
    const refused = await run(['eval', out, '--tracks', broken, '--laps', '1', '--max-seconds', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/track .*broken\.json: points: needs at least 4 distinct points/);
  }, 60_000);
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
