/**
 * The pilot arena: two models drive the same track, closed loop, with the same seed (the same
 * ground texture, the same start), so their lap times, off-track events and cross-track error
 * compare like for like; and both replay the same stretch of a recorded tub, their predicted
 * angle beside the angle the driver recorded.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeFrame, loadModel, ModelDriver, type ModelMetadata } from '../../model/index.ts';
import type * as tf from '@tensorflow/tfjs';
import { evaluateClosedLoop, selectTrainingBackend } from '../../trainer/index.ts';
import { readTub } from '../../tub/index.ts';
import { trackResult } from './evaluation.ts';
import type { ArenaEntry, ArenaReplay, ArenaResult, EpochPoint, JobProgress } from './types.ts';

/** Records replayed at most (one contiguous stretch, so a memory model sees the sequence it would). */
export const MAX_REPLAY_RECORDS = 600;
/** Points of cross-track error kept per run. */
const MAX_TRACE_POINTS = 400;

export interface ArenaSpec {
  action: 'arena';
  jobId: number;
  models: [{ name: string; dir: string }, { name: string; dir: string }];
  track: string;
  laps: number;
  seed: number;
  secondsPerLap: number;
  /** the tub to replay, from record `from` (its position among the usable records) */
  tub?: { name: string; dir: string; from: number };
}

type Report = (progress: JobProgress, epoch?: EpochPoint) => void;

interface Contender {
  name: string;
  model: tf.LayersModel;
  metadata: ModelMetadata;
}

async function load(entry: { name: string; dir: string }): Promise<Contender> {
  const stat = await fs.stat(entry.dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new Error(`model ${entry.name} does not exist`);
  const { model, metadata } = await loadModel(entry.dir).catch((error: Error) => {
    throw new Error(`model ${entry.name} cannot be loaded: ${error.message}`);
  });
  return { name: entry.name, model, metadata };
}

function race(contender: Contender, spec: ArenaSpec): ArenaEntry {
  const maxSeconds = spec.laps * spec.secondsPerLap;
  const cteStepS = Math.max(0.25, maxSeconds / MAX_TRACE_POINTS);
  const cteTrace: number[] = [];
  let nextSample = 0;
  const result = evaluateClosedLoop({
    model: contender.model,
    metadata: contender.metadata,
    track: spec.track,
    laps: spec.laps,
    maxSeconds,
    throttle: 'model',
    renderSeed: spec.seed,
    onTick: (t) => {
      if (t.t < nextSample) return;
      cteTrace.push(Number(Math.abs(t.cte).toFixed(3)));
      nextSample += cteStepS;
    },
  });
  return { model: contender.name, kind: contender.metadata.kind, run: trackResult(result, spec.track), cteTrace, cteStepS };
}

async function replay(contenders: readonly Contender[], tub: NonNullable<ArenaSpec['tub']>): Promise<ArenaReplay> {
  const read = await readTub(tub.dir);
  const records = read.records.slice(tub.from, tub.from + MAX_REPLAY_RECORDS);
  if (records.length === 0) throw new Error(`tub ${tub.name} has no usable records from position ${tub.from} (it has ${read.records.length})`);
  const predicted: [number[], number[]] = [[], []];
  const drivers = contenders.map((c) => new ModelDriver(c.model, c.metadata));
  const kept: typeof records = [];
  try {
    for (const record of records) {
      const jpeg = await fs.readFile(record.imagePath).catch(() => undefined);
      if (!jpeg) continue;
      const angles: number[] = [];
      try {
        for (const [i, driver] of drivers.entries()) {
          const { frameSize, crop, normalization } = contenders[i]!.metadata;
          angles.push((await driver.decide(await decodeFrame(jpeg, frameSize, crop, normalization))).angle);
        }
      } catch {
        // an unreadable frame leaves a gap in the replay, as in training
        continue;
      }
      kept.push(record);
      angles.forEach((angle, i) => predicted[i as 0 | 1].push(Number(angle.toFixed(3))));
    }
  } finally {
    drivers.forEach((d) => d.dispose());
  }
  return { tub: tub.name, indexes: kept.map((r) => r.index), driver: kept.map((r) => Number(r.angle.toFixed(3))), predicted };
}

export async function runArena(spec: ArenaSpec, report: Report): Promise<ArenaResult> {
  const started = performance.now();
  const send = (phase: JobProgress['phase'], detail: string) => report({ phase, epoch: 0, epochs: 0, loss: null, valLoss: null, detail, elapsedS: (performance.now() - started) / 1000 });
  send('loading', `${spec.models[0].name} and ${spec.models[1].name}`);
  await selectTrainingBackend(undefined, () => {});
  const contenders: Contender[] = [];
  try {
    for (const entry of spec.models) contenders.push(await load(entry));
    const entries = contenders.map((contender) => {
      send('evaluating', `${contender.name} on ${path.basename(spec.track)}`);
      return race(contender, spec);
    }) as [ArenaEntry, ArenaEntry];
    let replayed: ArenaReplay | null = null;
    if (spec.tub) {
      send('replaying', `tub ${spec.tub.name}`);
      replayed = await replay(contenders, spec.tub);
    }
    return { track: entries[0].run.track, laps: spec.laps, seed: spec.seed, entries, replay: replayed, durationS: (performance.now() - started) / 1000 };
  } finally {
    for (const c of contenders) c.model.dispose();
  }
}
