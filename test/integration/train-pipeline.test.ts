/**
 * The training pipeline end to end, in-process: the expert drives two laps of the simulator while
 * its camera view and commands are recorded into a Donkeycar tub; the tub is read back, split, and
 * a small model trained briefly must beat the best constant pilot on validation loss.
 *
 * Deterministic: the render, the split, the weights, the shuffles and the dropout masks are all
 * seeded, so the same run gives the same losses every time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRenderer, encodeJpeg, loadTrack, runExpert } from '../../car/sim/index.ts';
import { MODEL_FRAME_SHAPE, trainModel, validationLoss } from '../../trainer/index.ts';
import { readTub, splitRecords, tubSample, TubWriter } from '../../trainer/tub/index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-pipeline-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function meanSquared(values: number[], centre: number): number {
  return values.reduce((sum, v) => sum + (v - centre) ** 2, 0) / values.length;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The expert's two laps, as the recorder would store them: JPEG frames with the commands. */
async function recordExpertLaps(tubDir: string): Promise<number> {
  const track = loadTrack('default');
  // Recorded at the fast model's frame size, as a car running that model would record.
  const [height, width] = MODEL_FRAME_SHAPE.fast;
  const renderer = createRenderer({ track, width, height, seed: 3 });
  const writer = await TubWriter.create(tubDir);
  const pending: Array<{ rgb: Buffer; angle: number; throttle: number; t: number }> = [];
  runExpert({
    track,
    laps: 2,
    controlHz: 20,
    onControl: (telemetry, command) => {
      pending.push({ rgb: Buffer.from(renderer.render(telemetry)), angle: command.angle, throttle: command.throttle, t: telemetry.t });
    },
  });
  for (const frame of pending) {
    const jpeg = await encodeJpeg(frame.rgb, width, height, 90);
    await writer.write({ jpeg, angle: frame.angle, throttle: frame.throttle, mode: 'user', timestampMs: Math.round(frame.t * 1000) });
  }
  await writer.close();
  return pending.length;
}

describe('record → train → evaluate', () => {
  it('a briefly trained model beats constant steering on held-out frames', { timeout: 120_000 }, async () => {
    const tubDir = path.join(dir, 'tub');
    const recorded = await recordExpertLaps(tubDir);
    expect(recorded).toBeGreaterThan(300);

    const { records, issues } = await readTub(tubDir);
    expect(issues).toEqual([]);
    expect(records).toHaveLength(recorded);
    const { train, validation } = splitRecords(records, { validationFraction: 0.2, seed: 7 });

    const epochsSeen: number[] = [];
    const result = await trainModel({
      kind: 'fast',
      train: train.map(tubSample),
      validation: validation.map(tubSample),
      epochs: 8,
      batchSize: 16,
      patience: 8,
      augment: false,
      seed: 1,
      onEpoch: (p) => epochsSeen.push(p.epoch),
    });
    try {
      const model = await validationLoss(result.model, validation.map(tubSample), { frameSize: [result.inputShape[0], result.inputShape[1]], crop: result.crop });
      // The best constant pilot predicts the training set's mean angle and throttle.
      const baselineAngle = meanSquared(validation.map((r) => r.angle), mean(train.map((r) => r.angle)));
      const baselineThrottle = meanSquared(validation.map((r) => r.throttle), mean(train.map((r) => r.throttle)));
      expect(epochsSeen.length).toBeGreaterThan(0);
      // Steering is what the camera tells: the model must learn it, not just the mean.
      expect(model.angleMse).toBeLessThan(baselineAngle * 0.5);
      expect(model.loss).toBeLessThan(baselineAngle + baselineThrottle);
    } finally {
      result.model.dispose();
    }
  });
});
