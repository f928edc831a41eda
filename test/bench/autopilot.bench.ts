/**
 * `autopilot`: the whole loop from the talk. The expert drives 5 simulated minutes of the training
 * track (faster than real time) with swerves it recovers from, recorded as a Donkeycar tub at the
 * fast model's 80x60 frame size; the fast model is trained from the tub with the default
 * augmentations, then drives 10 laps of the training track and 3 of the held-out one, seeing only
 * its camera and choosing its own throttle.
 *
 * `pipeline_s` is wall clock from the closed tub to the evaluated model: reading the tub, training
 * and both closed-loop runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRenderer, encodeJpeg, loadTrack } from '../../car/sim/index.ts';
import { backendId, MODEL_FRAME_SHAPE, modelMetadata, saveModel } from '../../model/index.ts';
import { driveDemonstrations, evaluateClosedLoop, selectTrainingBackend, trainModel, type ClosedLoopResult } from '../../trainer/index.ts';
import { readTub, splitRecords, tubSample, TubWriter } from '../../trainer/tub/index.ts';
import type { Benchmark, Metric } from './types.ts';

const RECORD_SECONDS = 300;
const TRAIN_TRACK = 'default';
const HELDOUT_TRACK = 'twisty';
const KIND = 'fast';
/** Training stops here at the latest (best weights kept) so the pipeline stays under 600 s. */
const TRAIN_BUDGET_S = 420;

const log = (text: string) => process.stderr.write(`  autopilot: ${text}\n`);

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

const bench: Benchmark = {
  name: 'autopilot',
  description: `record ${RECORD_SECONDS} s of expert driving with recoveries, train the '${KIND}' model, drive 10 laps of '${TRAIN_TRACK}' and 3 of '${HELDOUT_TRACK}'`,
  async run(): Promise<Metric[]> {
    const backend = await selectTrainingBackend();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-'));
    try {
      const tubDir = path.join(dir, 'tub');
      await record(tubDir);
      const started = performance.now();
      const { records, issues } = await readTub(tubDir);
      if (issues.length) log(`${issues.length} tub issues, first: ${issues[0]!.message}`);
      const { train, validation } = splitRecords(records, { validationFraction: 0.2, seed: 1 });
      const budget = AbortSignal.timeout(TRAIN_BUDGET_S * 1000);
      const result = await trainModel({
        kind: KIND,
        train: train.map(tubSample),
        validation: validation.map(tubSample),
        epochs: 40,
        batchSize: 64,
        seed: 1,
        signal: budget,
        onEpoch: (p) => log(`epoch ${p.epoch} loss ${p.loss.toFixed(4)} val ${p.valLoss.toFixed(4)} best ${p.bestValLoss.toFixed(4)} (${p.elapsedS.toFixed(0)} s)`),
      });
      log(`trained ${result.metrics.epochs} epochs (best ${result.metrics.bestEpoch}) in ${result.metrics.durationS.toFixed(0)} s, ${result.metrics.samplesPerS.toFixed(0)} samples/s on ${backend.name}`);
      const metadata = modelMetadata({ kind: KIND, crop: result.crop, tubs: [tubDir], metrics: result.metrics, backend: backend.name });
      try {
        // the pipeline ends with a saved, evaluated model, as the NUC's training job does
        await saveModel(path.join(dir, 'model'), result.model, metadata);
        const home = evaluateClosedLoop({ model: result.model, metadata, track: TRAIN_TRACK, laps: 10, throttle: 'model' });
        log(summary(home));
        const away = evaluateClosedLoop({ model: result.model, metadata, track: HELDOUT_TRACK, laps: 3, throttle: 'model' });
        log(summary(away));
        const pipelineS = (performance.now() - started) / 1000;
        return [
          { bench: 'autopilot', metric: 'autopilot_laps', value: home.lapsCompleted, unit: 'laps/10' },
          { bench: 'autopilot', metric: 'autopilot_laps_heldout', value: away.lapsCompleted, unit: 'laps/3' },
          { bench: 'autopilot', metric: 'pipeline_s', value: Number(pipelineS.toFixed(1)), unit: `s (${KIND} model, ${backend.name})` },
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
