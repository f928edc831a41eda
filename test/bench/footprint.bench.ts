/**
 * `footprint`: what a car's services take of its computer (the talk's car is a Raspberry Pi 3B,
 * 1 GB), and the NUC's. `npm start` with the `fast` model as the pilot, driving on every camera
 * frame at 30 fps; the car's services run as a car runs them (the bundle, plain node).
 *
 * - `car_rss_mb`: the sum of the car's service processes' RSS (proxy, uplink, agent, actuator,
 *   camera, pilot; the simulator excluded, a real car has none), median of one sample a second.
 *   RSS counts the pages of the node binary and the shared libraries in every process that maps
 *   them; `car_pss_mb` splits those among the processes: the memory they take together.
 * - `car_cpu_pct`: their CPU time over the window, percent of one core.
 * - `nuc_rss_mb`: the NUC's service processes, summed the same way.
 * Per service: `car_<name>_rss_mb`; `car_pilot_fps`: the frames the model inferred per second.
 */
import fs from 'node:fs';
import path from 'node:path';
import { modelMetadata, saveModel } from '../../model/index.ts';
import { createModel } from '../../trainer/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { getJson, startPlatform, waitForServices, type ServiceInfo } from '../support/platform.ts';
import { procUsage, serviceProcs, type ServiceProc } from '../support/service-procs.ts';
import type { Benchmark, Metric } from './types.ts';

const SETTLE_S = 10;
const MEASURE_S = 20;
const CAR_SERVICES = ['proxy', 'uplink', 'agent', 'actuator', 'camera', 'pilot'];
const NUC_SERVICES = ['proxy', 'server', 'wheel', 'compositor', 'recorder', 'training'];
const MB = 1024 * 1024;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

interface Sample {
  carRss: number;
  carPss: number;
  nucRss: number;
  byService: Map<string, number>;
}

function sample(procs: readonly ServiceProc[]): Sample {
  const result: Sample = { carRss: 0, carPss: 0, nucRss: 0, byService: new Map() };
  for (const proc of procs) {
    const usage = procUsage(proc.pid);
    if (!usage) continue;
    if (proc.scope === 'nuc') result.nucRss += usage.rss;
    else if (CAR_SERVICES.includes(proc.name)) {
      result.carRss += usage.rss;
      result.carPss += usage.pss ?? usage.rss;
      result.byService.set(proc.name, usage.rss);
    }
  }
  return result;
}

function cpuMsOf(procs: readonly ServiceProc[]): number {
  return procs.reduce((sum, proc) => sum + (procUsage(proc.pid)?.cpuMs ?? 0), 0);
}

const bench: Benchmark = {
  name: 'footprint',
  description: "memory and CPU of the car's services (bundles, plain node, fast model pilot at 30 fps) and of the NUC's",
  async run(): Promise<Metric[]> {
    const configDir = fs.mkdtempSync(path.join('/tmp', 'footprint-'));
    const modelDir = path.join(configDir, 'fast');
    // untrained weights: the same inference per frame as a trained model
    const model = createModel('fast', { seed: 1 });
    await saveModel(modelDir, model, modelMetadata({ kind: 'fast', backend: 'cpu', createdAt: new Date(0) }));
    model.dispose();
    const configFile = path.join(configDir, 'edge.json');
    fs.writeFileSync(configFile, JSON.stringify({ car: { drive: { pilot: modelDir, mode: 'local' }, camera: { fps: 30 } } }));
    const platform = await startPlatform([], { EDGE_CONFIG: configFile });
    try {
      const keys = [...NUC_SERVICES.map((s) => `nuc/${s}`), ...CAR_SERVICES.map((s) => `car/1/${s}`)];
      await waitForServices(platform.baseUrl, keys, 180_000);
      const inferred = async (): Promise<number> => {
        const services = await getJson<ServiceInfo[]>(`${platform.baseUrl}/api/services`);
        const pilot = services.find((s) => s.scope === 'car' && s.service === 'pilot') as (ServiceInfo & { metrics: { gauges?: Record<string, number> } }) | undefined;
        return pilot?.metrics.gauges?.pilot_frames_inferred ?? 0;
      };
      await waitFor(async () => (await inferred()) > 0 || undefined, 'the model pilot inferring frames', 60_000, 500);
      await sleep(SETTLE_S * 1000);

      const procs = serviceProcs(platform.dataDir).filter((p) => p.scope === 'nuc' || p.car === '1');
      const carProcs = procs.filter((p) => p.scope === 'car' && CAR_SERVICES.includes(p.name));
      const missing = CAR_SERVICES.filter((name) => !carProcs.some((p) => p.name === name));
      if (missing.length) throw new Error(`car services not found running: ${missing.join(', ')}`);
      const cpuBefore = cpuMsOf(carProcs);
      const inferredBefore = await inferred();
      const started = Date.now();
      const samples: Sample[] = [];
      for (let i = 0; i < MEASURE_S; i++) {
        samples.push(sample(procs));
        await sleep(1000);
      }
      const elapsedMs = Date.now() - started;
      const cpuPct = ((cpuMsOf(carProcs) - cpuBefore) / elapsedMs) * 100;
      const pilotFps = ((await inferred()) - inferredBefore) / (elapsedMs / 1000);

      const metrics: Metric[] = [
        { bench: 'footprint', metric: 'car_rss_mb', value: round(median(samples.map((s) => s.carRss)) / MB), unit: 'MB' },
        { bench: 'footprint', metric: 'car_cpu_pct', value: round(cpuPct), unit: '% of one core' },
        { bench: 'footprint', metric: 'nuc_rss_mb', value: round(median(samples.map((s) => s.nucRss)) / MB), unit: 'MB' },
        { bench: 'footprint', metric: 'car_pss_mb', value: round(median(samples.map((s) => s.carPss)) / MB), unit: 'MB' },
        { bench: 'footprint', metric: 'car_pilot_fps', value: round(pilotFps), unit: 'frames/s' },
      ];
      for (const name of CAR_SERVICES) {
        metrics.push({ bench: 'footprint', metric: `car_${name}_rss_mb`, value: round(median(samples.map((s) => s.byService.get(name) ?? 0)) / MB), unit: 'MB' });
      }
      return metrics;
    } finally {
      await platform.stop();
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  },
};

export default bench;
