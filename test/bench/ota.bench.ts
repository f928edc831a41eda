/**
 * `ota`: updates reaching a simulated car that keeps driving (expert pilot, `local` mode), through
 * the real launcher, agent, actuator and a served signed repository, with the agent's default poll.
 *
 * - `ota_service_s`: from the start of publishing a new pilot (bundle prebuilt; signing and hashing
 *   counted) until the actuator applies drive commands of the new pilot generation. Median of runs.
 * - `ota_max_drive_gap_ms`: the largest gap between drive commands applied by the actuator (its own
 *   send times) from publish until the old pilot is gone, over all hand-overs.
 * - `ota_model_s`: from the start of publishing a model-only release until the pilot's telemetry
 *   reports the new model (it answers frames with it). Median of runs.
 * - `ota_model_bytes`: bytes the repository server sent during a model-only update (metadata, the
 *   release manifest and blobs, by content-length), median of runs; `ota_model_size_bytes` is the
 *   model's size on disk. Each run ships a new model with new weights, so most of it is new content.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildService, findServiceSpec, type ServiceContent } from '../../deploy/index.ts';
import { modelMetadata, saveModel, selectBackend, type BackendName } from '../../model/index.ts';
import { createModel } from '../../trainer/index.ts';
import { ROOT } from '../support/platform.ts';
import { startOtaPlatform, type OtaPlatform } from '../support/ota.ts';
import type { Benchmark, Metric } from './types.ts';

const RUNS = 3;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The prebuilt pilot with a marker, so each release is new content (the same bytes are no update). */
function markedPilot(content: ServiceContent, run: number): ServiceContent {
  const marker = Buffer.from(`\n// ota bench run ${run} ${Date.now()}\n`);
  return { ...content, files: content.files.map((f) => (f.path === content.entry ? { ...f, bytes: Buffer.concat([f.bytes, marker]) } : f)) };
}

/** A Donkeycar 'linear' pilot model with fresh random weights, saved as the trainer saves. */
async function saveLinearModel(dir: string, seed: number, backend: BackendName): Promise<number> {
  const model = createModel('linear', { seed });
  await saveModel(dir, model, modelMetadata({ kind: 'linear', backend, createdAt: new Date(0) }));
  model.dispose();
  return fs.readdirSync(dir).reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0);
}

async function idleOn(car: OtaPlatform, version: number, since: number): Promise<number> {
  const report = await car.waitForAgent((h) => h.state === 'idle' && h.version === version, 90_000, since);
  return report.header.gen ?? 0;
}

const benchmark: Benchmark = {
  name: 'ota',
  description: 'over-the-air updates to a driving simulated car: pilot hand-over time and drive gap, model swap time and bytes',
  async run() {
    const { name: backend } = await selectBackend();
    const pilot = await buildService(findServiceSpec('pilot'), ROOT);
    const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-bench-models-'));
    // the agent's default poll (car.agent.pollMs), not the tests' shorter one
    const car = await startOtaPlatform({ config: { car: { agent: { pollMs: 1000 } } } });
    try {
      let gen = (await car.waitForActiveGen(0, 120_000)).header.gen ?? 0;
      const serviceS: number[] = [];
      let maxGap = 0;
      for (let run = 1; run <= RUNS; run++) {
        const content = markedPilot(pilot, run);
        const started = Date.now();
        const release = car.publishContent('pilot', content, `bench pilot ${run}`);
        const active = await car.waitForActiveGen(gen + 1, 60_000);
        serviceS.push((active.at - started) / 1000);
        gen = await idleOn(car, release.version, started);
        maxGap = Math.max(maxGap, car.maxDriveGapMs(started, Date.now()));
      }

      const modelS: number[] = [];
      const modelBytes: number[] = [];
      const modelSizes: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const name = `bench-linear-${run}`;
        const dir = path.join(modelsDir, name);
        modelSizes.push(await saveLinearModel(dir, run, backend));
        const bytesBefore = car.bytesServed();
        const started = Date.now();
        const release = car.publishModel(dir, name, `bench model ${run}`);
        const seen = await car.waitForPilotModel((model) => model.startsWith(`${name} `), 60_000, started);
        modelS.push((seen.at - started) / 1000);
        await idleOn(car, release.version, started);
        modelBytes.push(car.bytesServed() - bytesBefore);
      }

      const metric = (name: string, value: number, unit: string): Metric => ({ bench: 'ota', metric: name, value: Math.round(value * 1000) / 1000, unit });
      return [
        metric('ota_service_s', median(serviceS), 's'),
        metric('ota_model_s', median(modelS), 's'),
        metric('ota_max_drive_gap_ms', maxGap, 'ms'),
        metric('ota_model_bytes', median(modelBytes), 'bytes'),
        metric('ota_model_size_bytes', median(modelSizes), 'bytes'),
      ];
    } finally {
      await car.stop();
      fs.rmSync(modelsDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
