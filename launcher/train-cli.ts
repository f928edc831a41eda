/**
 * `npm run train -- --tubs <tubs...> --out <model> [--kind K] [--crop top,bottom] [--epochs N] [--batch N] [--seed N]`
 * `npm run train -- eval <model> [--tracks default,twisty,./my-track.json] [--laps N] [--max-seconds N] [--throttle model|X]`
 *
 * A bare name is looked up in the data directory (`<data>/tubs/<name>`, `<data>/models/<name>`),
 * where `npm start` records and the training view lists; anything with a slash is a path.
 * Usage errors exit with code 2, failures with 1. Progress goes to stderr, results to stdout.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { isModelKind, loadModel, MODEL_KINDS, NO_CROP, saveModel, type Crop, type ModelKind } from '../model/index.ts';
import { judge, trackResult } from '../nuc/training/index.ts';
import { COSINE_SCHEDULE, DONKEYCAR_SCHEDULE, EVAL_TRACKS, evaluateClosedLoop, selectTrainingBackend, trainFromRecords, type BatchProgress, type ClosedLoopResult } from '../trainer/index.ts';
import { NotEnoughRecordsError, trainingRecords } from '../tub/index.ts';
import { ConfigError, type TrainingConfig } from '../runtime/index.ts';
import { COMMON_USAGE, UsageError, commandConfig, isMainModule, wantsHelp, type ConfigFlags } from './command-line.ts';

/** Fewer records than this cannot give a meaningful train/validation split. */
export const MIN_RECORDS = 10;

export interface TrainCommand {
  command: 'train';
  tubs: string[];
  out: string;
  kind: ModelKind;
  crop: Crop;
  /** default nuc.training.epochs, batchSize and schedule, as the NUC trains */
  epochs: number | undefined;
  batchSize: number | undefined;
  schedule: TrainingConfig['schedule'] | undefined;
  seed: number;
}

export interface EvalCommand {
  command: 'eval';
  modelDir: string;
  tracks: string[];
  /** default nuc.training.evalLaps, as the NUC evaluates */
  laps: number | undefined;
  maxSeconds: number | undefined;
  throttle: 'model' | number;
}

export type Command = TrainCommand | EvalCommand;

export const USAGE = `usage: npm run train -- [train] --tubs <tubs...> --out <model> [--kind ${MODEL_KINDS.join('|')}]
                        [--crop top,bottom] [--epochs N] [--batch N] [--schedule constant|cosine] [--seed N]
       npm run train -- eval <model> [--tracks default,twisty,./my-track.json] [--laps N] [--max-seconds N] [--throttle model|X]

train  trains a pilot model from recorded tubs: each tub's records through the filter saved with it
       (the tub editor), else the driver's records (user/mode == 'user' && user/throttle >= 0);
       records marked deleted are left out, as in Donkeycar. --kind: linear (Donkeycar's, default),
       fast (a quarter of the pixels), categorical (Donkeycar's bins), memory (the last 3 commands
       as a second input). --crop removes rows from the top and bottom of every frame (Donkeycar's
       ROI crop); the model keeps it in its metadata and the car applies it too. --epochs, --batch
       and --schedule default to nuc.training's: constant is Donkeycar's Adam 1e-3 with early
       stopping; cosine falls from 2e-3 over the epochs (fewer epochs on minutes of laps).
eval   drives a model closed loop in the simulator on simulator tracks (${EVAL_TRACKS.join(', ')}) or track files
       (the simulator's JSON format), and says how the candidate gate (nuc.training.gate) would judge
       it. Only the NUC's evaluation (the training view's "Evaluate") makes a model a candidate.

A bare tub or model name is in the data directory (<data>/tubs/<name>, <data>/models/<name>); a
name with a slash is a path.

${COMMON_USAGE}`;

/** Flags and the values after each, up to the next flag; leading non-flag words are positionals. */
function splitFlags(args: readonly string[], allowed: readonly string[]): { positionals: string[]; flags: Map<string, string[]> } {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const arg of args) {
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (!allowed.includes(name)) throw new UsageError(`unknown flag ${arg} (expected ${allowed.map((a) => `--${a}`).join(', ')})`);
      if (flags.has(name)) throw new UsageError(`flag ${arg} given twice`);
      current = [];
      flags.set(name, current);
    } else if (current) {
      current.push(arg);
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags };
}

function single(flags: Map<string, string[]>, name: string): string | undefined {
  const values = flags.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new UsageError(`--${name} takes exactly one value, got ${values.length}`);
  return values[0];
}

function integer(flags: Map<string, string[]>, name: string, fallback: number, min: number): number {
  const text = single(flags, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${text}`);
  return value;
}

/** `--crop top,bottom`: rows off the top and the bottom of every frame. */
function parseCrop(text: string | undefined): Crop {
  if (text === undefined) return NO_CROP;
  const match = /^(\d{1,4}),(\d{1,4})$/.exec(text);
  if (!match) throw new UsageError(`--crop takes top,bottom rows as two whole numbers, e.g. --crop 40,0; got ${text}`);
  return { top: Number(match[1]), bottom: Number(match[2]) };
}

function parseSchedule(text: string | undefined): TrainCommand['schedule'] {
  if (text === undefined || text === 'constant' || text === 'cosine') return text;
  throw new UsageError(`--schedule must be constant or cosine, got ${text}`);
}

function parseTrain(args: readonly string[]): TrainCommand {
  const { positionals, flags } = splitFlags(args, ['tubs', 'out', 'kind', 'crop', 'epochs', 'batch', 'schedule', 'seed']);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const tubs = flags.get('tubs') ?? [];
  if (tubs.length === 0) throw new UsageError('no tubs: give --tubs <dir> [<dir> ...]');
  const out = single(flags, 'out');
  if (!out) throw new UsageError('--out <dir> is required');
  const kind = single(flags, 'kind') ?? 'linear';
  if (!isModelKind(kind)) throw new UsageError(`--kind must be one of ${MODEL_KINDS.join(', ')}, got ${kind}`);
  return {
    command: 'train',
    tubs,
    out,
    kind,
    crop: parseCrop(single(flags, 'crop')),
    epochs: single(flags, 'epochs') === undefined ? undefined : integer(flags, 'epochs', 1, 1),
    batchSize: single(flags, 'batch') === undefined ? undefined : integer(flags, 'batch', 1, 1),
    schedule: parseSchedule(single(flags, 'schedule')),
    seed: integer(flags, 'seed', 1, 0),
  };
}

function parseEval(args: readonly string[]): EvalCommand {
  const { positionals, flags } = splitFlags(args, ['tracks', 'laps', 'max-seconds', 'throttle']);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'eval needs a model directory' : `eval takes one model directory, got ${positionals.length}`);
  const tracks = (single(flags, 'tracks') ?? EVAL_TRACKS.join(',')).split(',').filter((t) => t !== '');
  for (const track of tracks) {
    const isFile = track.includes('/') || track.endsWith('.json');
    if (!isFile && !(EVAL_TRACKS as readonly string[]).includes(track)) throw new UsageError(`unknown track ${track} (a simulator track: ${EVAL_TRACKS.join(', ')}; or a track file, e.g. ./my-track.json)`);
  }
  if (tracks.length === 0) throw new UsageError('--tracks needs at least one track');
  const maxText = single(flags, 'max-seconds');
  const maxSeconds = maxText === undefined ? undefined : Number(maxText);
  if (maxSeconds !== undefined && !(maxSeconds > 0)) throw new UsageError(`--max-seconds must be a positive number, got ${maxText}`);
  const throttleText = single(flags, 'throttle') ?? 'model';
  const throttle = throttleText === 'model' ? 'model' : Number(throttleText);
  if (throttle !== 'model' && !(throttle >= -1 && throttle <= 1)) throw new UsageError(`--throttle must be 'model' or a number in [-1, 1], got ${throttleText}`);
  return { command: 'eval', modelDir: positionals[0]!, tracks, laps: single(flags, 'laps') === undefined ? undefined : integer(flags, 'laps', 1, 1), maxSeconds, throttle };
}

export function parseCommand(argv: readonly string[]): Command {
  if (argv[0] === 'eval') return parseEval(argv.slice(1));
  if (argv[0] === 'train') return parseTrain(argv.slice(1));
  if (argv.length === 0) throw new UsageError('no command given');
  return parseTrain(argv);
}

/** `--config <file>` and `--data <dir>`, wherever they are; the rest is the command. */
export function splitConfigFlags(argv: readonly string[]): { flags: ConfigFlags; rest: string[] } {
  const flags: ConfigFlags = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i] === '--config' ? 'config' : argv[i] === '--data' ? 'data' : undefined;
    if (!name) {
      rest.push(argv[i]!);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${argv[i - 1]} needs a value`);
    if (flags[name] !== undefined) throw new UsageError(`flag --${name} given twice`);
    flags[name] = value;
  }
  return { flags, rest };
}

/** A bare name means the data directory's `<kind>/<name>`; a path (with a slash) stays as given. */
export function inDataDir(dataDir: string, kind: 'tubs' | 'models', name: string): string {
  const bare = !name.includes('/') && !name.includes(path.sep) && name !== '.' && name !== '..';
  return bare ? path.join(dataDir, kind, name) : name;
}

function withDataDir(command: Command, dataDir: string): Command {
  if (command.command === 'eval') return { ...command, modelDir: inDataDir(dataDir, 'models', command.modelDir) };
  return { ...command, tubs: command.tubs.map((tub) => inDataDir(dataDir, 'tubs', tub)), out: inDataDir(dataDir, 'models', command.out) };
}

export interface Output {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: progress bars redraw in place (per batch) instead of one line per epoch */
  live?: boolean;
}

/** Carriage return and erase-line: the next text redraws the current terminal line. */
const REDRAW = '\r\x1b[K';

/** A text bar: `[#####.....]`. */
export function progressBar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

async function checkDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new UsageError(`tub ${dir} is not a directory`);
  }
}

async function runTrain(command: TrainCommand, training: TrainingConfig, out: Output): Promise<void> {
  const epochs = command.epochs ?? training.epochs;
  const batchSize = command.batchSize ?? training.batchSize;
  const schedule = (command.schedule ?? training.schedule) === 'cosine' ? COSINE_SCHEDULE : DONKEYCAR_SCHEDULE;
  await checkDirs(command.tubs);
  let read;
  try {
    read = await trainingRecords(command.tubs);
  } catch (error) {
    if (error instanceof NotEnoughRecordsError) throw new UsageError(`no usable records in the tubs:\n${error.message}`);
    throw error;
  }
  for (const issue of read.issues.slice(0, 10)) out.stderr(`warning: ${issue.message}\n`);
  const { records } = read;
  if (records.length < MIN_RECORDS) throw new UsageError(`too few records: ${records.length} kept by the tubs' filters (${read.filteredOut} filtered out), at least ${MIN_RECORDS} needed`);
  let skippedSamples = 0;
  const result = await trainFromRecords({
    records,
    tubs: command.tubs.map((t) => path.resolve(t)),
    kind: command.kind,
    crop: command.crop,
    epochs,
    batchSize,
    schedule,
    seed: command.seed,
    backendLog: (message) => out.stderr(`${message}\n`),
    onSplit: ({ train, validation }) => out.stderr(`records: ${records.length} (train ${train}, validation ${validation}); model ${command.kind}\n`),
    onSkipped: (message) => {
      if (++skippedSamples <= 10) out.stderr(`${out.live ? REDRAW : ''}warning: ${message}\n`);
    },
    ...(out.live ? { onBatch: (p: BatchProgress) => out.stderr(`${REDRAW}epoch ${p.epoch}/${epochs} ${progressBar(p.batch, p.batches)} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)}`) } : {}),
    onEpoch: (p) =>
      out.stderr(`${out.live ? REDRAW : ''}epoch ${p.epoch}/${p.epochs} ${progressBar(p.epoch, p.epochs)} loss ${p.loss.toFixed(4)} val ${p.valLoss.toFixed(4)} best ${p.bestValLoss.toFixed(4)} (${p.elapsedS.toFixed(1)} s)\n`),
  });
  await saveModel(command.out, result.model, result.metadata);
  result.model.dispose();
  if (result.metrics.skippedSamples > 0) out.stderr(`skipped ${result.metrics.skippedSamples} unreadable samples (${read.skipped} bad records before that)\n`);
  else if (read.skipped > 0) out.stderr(`skipped ${read.skipped} bad records\n`);
  out.stdout(`saved ${command.out}: best val_loss ${result.metrics.bestValLoss.toFixed(4)} at epoch ${result.metrics.bestEpoch} of ${result.metrics.epochs}\n`);
  out.stdout(`not evaluated yet: only the NUC's evaluation makes it a candidate (the training view's "Evaluate", with it in <data>/models)\n`);
}

const fmt = (value: number | null, digits = 2) => (value === null ? '-' : value.toFixed(digits));

/** The evaluation results as an aligned text table. */
export function formatTable(results: readonly ClosedLoopResult[]): string {
  const header = ['track', 'laps', 'clean', 'off-track', 'mean|cte| m', 'lap times s', 'expert lap s', 'end'];
  const rows = results.map((r) => [
    r.track,
    `${r.lapsFinished}/${r.lapsAttempted}`,
    String(r.lapsCompleted),
    String(r.offTrackEvents),
    fmt(r.meanAbsCteM, 3),
    r.lapTimesS.length ? r.lapTimesS.map((t) => t.toFixed(1)).join(' ') : '-',
    fmt(r.expertLapS, 1),
    r.endReason,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

async function runEval(command: EvalCommand, training: TrainingConfig, out: Output): Promise<void> {
  await selectTrainingBackend(undefined, (message) => out.stderr(`${message}\n`));
  const stat = await fs.stat(command.modelDir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new UsageError(`model ${command.modelDir} is not a directory`);
  const { model, metadata } = await loadModel(command.modelDir);
  const laps = command.laps ?? training.evalLaps;
  const results: ClosedLoopResult[] = [];
  try {
    for (const track of command.tracks) {
      const maxSeconds = command.maxSeconds ?? training.evalSecondsPerLap * laps;
      let shown = -1;
      results.push(
        evaluateClosedLoop({
          model,
          metadata,
          track,
          laps,
          maxSeconds,
          throttle: command.throttle,
          onTick: (t) => {
            const second = Math.floor(t.t);
            if (second === shown) return;
            shown = second;
            out.stderr(`${track} ${progressBar(t.t, maxSeconds)} ${t.t.toFixed(0)}/${maxSeconds} s, lap ${t.lap}, off-track ${t.offTrackEvents}\n`);
          },
        }),
      );
    }
  } finally {
    model.dispose();
  }
  const valLoss = metadata.metrics?.bestValLoss;
  if (valLoss !== undefined) out.stdout(`validation loss (training): ${valLoss.toFixed(4)}\n`);
  out.stdout(formatTable(results));
  const verdict = judge(training.gate, command.tracks, results.map((r, i) => trackResult(r, command.tracks[i]!)));
  out.stdout(
    verdict.status === 'candidate'
      ? `candidate gate: passes (${training.gate.minCleanLaps} clean lap(s) per track${training.gate.rejectOffTrack ? ', no run ending off the track' : ''})\n`
      : `candidate gate: would reject it: ${verdict.reasons.join('; ')}\n`,
  );
}

/** Runs the CLI; resolves to the exit code. The data directory comes from the configuration (`env`, `--config`, `--data`). */
export async function runCli(argv: readonly string[], out: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (wantsHelp(argv) || argv[0] === 'help') {
    out.stdout(`${USAGE}\n`);
    return 0;
  }
  try {
    const { flags, rest } = splitConfigFlags(argv);
    const config = commandConfig(flags, env);
    const command = withDataDir(parseCommand(rest), config.dataDir);
    if (command.command === 'train') await runTrain(command, config.nuc.training, out);
    else await runEval(command, config.nuc.training, out);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      out.stderr(`error: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      out.stderr(`${error.message}\n`);
      return 2;
    }
    out.stderr(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

if (isMainModule(import.meta.url)) {
  const code = await runCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), live: process.stderr.isTTY });
  process.exitCode = code;
}
