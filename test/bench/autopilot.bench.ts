/**
 * `autopilot`: the whole loop from the talk, lap to pilot. The expert drives 5 simulated minutes of
 * the training track (faster than real time) with swerves it recovers from, recorded as a
 * Donkeycar tub at the fast model's 80x60 frame size; then, timed, the pipeline a NUC training job
 * runs: the tub read, the `fast` model trained (every frame decoded once, up front; 8 epochs of the
 * cosine schedule, `nuc.training.schedule: cosine`), saved, and driven 10 laps of the training
 * track and 3 of the held-out one, seeing only its camera and choosing its own throttle.
 *
 * `pipeline_s` is wall clock from the closed tub to the evaluated model, split into
 * `pipeline_decode_s` (reading the tub, decoding every frame), `pipeline_train_s` (the epochs, with
 * their validation passes) and `pipeline_eval_s` (saving and both closed-loop runs);
 * `pipeline_cpu_s` is the CPU time of this process and its gradient helper over the pipeline (on a
 * machine shared with other work the wall clock says little, the CPU time more).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRenderer, encodeJpeg, loadTrack } from '../../world/index.ts';
import { backendId, MODEL_FRAME_SHAPE, modelMetadata, saveModel } from '../../model/index.ts';
import { COSINE_SCHEDULE, driveDemonstrations, evaluateClosedLoop, selectTrainingBackend, trainModel, type ClosedLoopResult } from '../../trainer/index.ts';
import { readTub, splitRecords, TubWriter } from '../../tub/index.ts';
import { tubSamples } from '../../trainer/index.ts';
import type { Benchmark, Metric } from './types.ts';

const RECORD_SECONDS = 300;
const TRAIN_TRACK = 'default';
const HELDOUT_TRACK = 'twisty';
const KIND = 'fast';
/** The fast recipe: 8 epochs of the cosine schedule, all of them (the schedule plans them), batch 64. */
const EPOCHS = 8;
const BATCH = 64;

const log = (text: string) => process.stderr.write(`  autopilot: ${text}\n`);

/** CPU seconds of this process and of its children that have exited (the gradient helper), from /proc. */
function cpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime (fields 14-17) in clock ticks of 1/100 s
    return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100;
  } catch {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }
}

async function record(tubDir: string): Promise<number> {
  const track = loadTrack(TRAIN_TRACK);
  const [height, width] = MODEL_FRAME_SHAPE[KIND];
  // A different ground texture from the evaluation's (seed 0): the model must not learn the grass.
  const renderer = createRenderer({ track, width, height, seed: 11 });
  const frames: Array<{ rgb: Buffer; angle: number; throttle: number; t: number }> = [];
  const drive = driveDemonstrations({
    track,
    seconds: RECORD_SECONDS,
    seed: 3,
    onFrame: ({ telemetry, label }) => frames.push({ rgb: Buffer.from(renderer.render(telemetry)), ...label, t: telemetry.t }),
  });
  const writer = await TubWriter.create(tubDir);
  for (const f of frames) {
    await writer.write({ jpeg: await encodeJpeg(f.rgb, width, height, 90), angle: f.angle, throttle: f.throttle, mode: 'user', timestampMs: Math.round(f.t * 1000) });
  }
  await writer.close();
  log(`recorded ${frames.length} frames, ${drive.laps} laps, ${drive.offTrackEvents} off-track moments (swerves)`);
  return frames.length;
}

function summary(r: ClosedLoopResult): string {
  return `${r.track}: ${r.lapsCompleted}/${r.lapsAttempted} clean, ${r.offTrackEvents} off-track, mean|cte| ${r.meanAbsCteM.toFixed(3)} m, laps ${r.lapTimesS.map((t) => t.toFixed(1)).join(' ')} s (expert ${r.expertLapS?.toFixed(1)} s), ${r.endReason}`;
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(1));

const bench: Benchmark = {
  name: 'autopilot',
  description: `record ${RECORD_SECONDS} s of expert driving with recoveries, train the '${KIND}' model, drive 10 laps of '${TRAIN_TRACK}' and 3 of '${HELDOUT_TRACK}'`,
  async run(): Promise<Metric[]> {
    const backend = await selectTrainingBackend();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-'));
    try {
      const tubDir = path.join(dir, 'tub');
      await record(tubDir);
      const cpuStart = cpuSeconds();
      const started = performance.now();
      const { records, issues } = await readTub(tubDir);
      if (issues.length) log(`${issues.length} tub issues, first: ${issues[0]!.message}`);
      const { train, validation } = splitRecords(records, { validationFraction: 0.2, seed: 1 });
      const read = performance.now();
      let firstEpochAt: number | undefined;
      const result = await trainModel({
        kind: KIND,
        train: tubSamples(train),
        validation: tubSamples(validation),
        epochs: EPOCHS,
        batchSize: BATCH,
        schedule: COSINE_SCHEDULE,
        patience: EPOCHS,
        seed: 1,
        onEpoch: (p) => {
          firstEpochAt ??= performance.now();
          log(`epoch ${p.epoch} loss ${p.loss.toFixed(4)} val ${p.valLoss.toFixed(4)} best ${p.bestValLoss.toFixed(4)} (${p.elapsedS.toFixed(1)} s)`);
        },
      });
      const trained = performance.now();
      const { metrics } = result;
      log(`trained ${metrics.epochs} epochs (best ${metrics.bestEpoch}) in ${metrics.durationS.toFixed(1)} s: decode ${metrics.decodeS?.toFixed(1)} s, validation ${metrics.validateS?.toFixed(1)} s; ${metrics.samplesPerS.toFixed(0)} samples/s on ${backend.name}`);
      const metadata = modelMetadata({ ...result.description, tubs: [tubDir] });
      try {
        // the pipeline ends with a saved, evaluated model, as the NUC's training job does
        await saveModel(path.join(dir, 'model'), result.model, metadata);
        const home = evaluateClosedLoop({ model: result.model, metadata, track: TRAIN_TRACK, laps: 10, throttle: 'model' });
        log(summary(home));
        const away = evaluateClosedLoop({ model: result.model, metadata, track: HELDOUT_TRACK, laps: 3, throttle: 'model' });
        log(summary(away));
        const finished = performance.now();
        // the gradient helper has exited by now, so its CPU time is counted
        const cpuS = cpuSeconds() - cpuStart;
        const decodeMs = read - started + (metrics.decodeS ?? 0) * 1000;
        const trainMs = trained - read - (metrics.decodeS ?? 0) * 1000;
        log(`pipeline ${seconds(finished - started)} s wall, ${cpuS.toFixed(1)} s CPU (this process and the gradient helper)`);
        return [
          { bench: 'autopilot', metric: 'autopilot_laps', value: home.lapsCompleted, unit: 'laps/10' },
          { bench: 'autopilot', metric: 'autopilot_laps_heldout', value: away.lapsCompleted, unit: 'laps/3' },
          { bench: 'autopilot', metric: 'pipeline_s', value: seconds(finished - started), unit: `s (${KIND} model, ${backend.name})` },
          { bench: 'autopilot', metric: 'pipeline_decode_s', value: seconds(decodeMs), unit: 's (tub read, every frame decoded once)' },
          { bench: 'autopilot', metric: 'pipeline_train_s', value: seconds(trainMs), unit: `s (${metrics.epochs} epochs with validation)` },
          { bench: 'autopilot', metric: 'pipeline_eval_s', value: seconds(finished - trained), unit: 's (save, 10 + 3 laps closed loop)' },
          { bench: 'autopilot', metric: 'pipeline_cpu_s', value: Number(cpuS.toFixed(1)), unit: 's CPU (both processes)' },
          { bench: 'autopilot', metric: 'autopilot_backend', value: backendId(backend.name), unit: 'id' },
        ];
      } finally {
        result.model.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
