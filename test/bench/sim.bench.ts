/**
 * `sim`: camera rendering time per frame at 160x120 and 640x480, physics steps per second, and the
 * expert driver's laps on the default track (commands through calibration and pulses, as the car).
 */
import { createRenderer, DirectPulses, loadTrack, runExpert, SimWorld } from '../../world/index.ts';
import type { Pose, Track } from '../../world/index.ts';
import type { Benchmark, Metric } from './types.ts';

const FRAMES = 300;
const STEP_SECONDS = 2;
const EXPERT_LAPS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Poses round the loop, so frames see straights, corners and the start line. */
function posesAround(track: Track, count: number): Pose[] {
  return Array.from({ length: count }, (_, i) => track.pointAt((track.length * i) / count));
}

function renderMs(track: Track, width: number, height: number): number {
  const renderer = createRenderer({ track, width, height, seed: 1 });
  const poses = posesAround(track, FRAMES);
  for (const pose of poses.slice(0, 20)) renderer.render(pose);
  const samples = poses.map((pose) => {
    const start = performance.now();
    renderer.render(pose);
    return performance.now() - start;
  });
  return median(samples);
}

function stepsPerSecond(track: Track): number {
  const pulses = new DirectPulses();
  pulses.drive({ angle: -0.3, throttle: 0.4 });
  const world = new SimWorld({ track, pulses });
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < STEP_SECONDS * 1000) {
    for (let i = 0; i < 1000; i++) world.step(0.005);
    steps += 1000;
    if (world.telemetry().offTrack) world.reset();
  }
  return steps / ((performance.now() - start) / 1000);
}

const sim: Benchmark = {
  name: 'sim',
  description: 'simulator: camera render ms per frame (160x120, 640x480), physics steps/s, expert laps and cross-track error',
  async run(): Promise<Metric[]> {
    const track = loadTrack('default');
    const metric = (name: string, value: number, unit: string): Metric => ({ bench: 'sim', metric: name, value, unit });
    const render160 = renderMs(track, 160, 120);
    const render640 = renderMs(track, 640, 480);
    const steps = stepsPerSecond(track);
    const run = runExpert({ track, laps: EXPERT_LAPS, controlHz: 20 });
    return [
      metric('sim_render_ms_160', render160, 'ms'),
      metric('sim_render_ms_640', render640, 'ms'),
      metric('sim_steps_per_s', Math.round(steps), 'steps/s'),
      metric('expert_laps', run.telemetry.cleanLaps, 'laps'),
      metric('expert_mean_cte_m', run.meanAbsCte, 'm'),
    ];
  },
};

export default sim;
