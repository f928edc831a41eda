/**
 * Replay cars for the `scale` benchmark, in one process: N cars, each publishing recorded 640×480
 * JPEGs on `car/<id>/frame` at `fps` (drift-free, the cars' phases spread over one period) and its
 * telemetry at 20 Hz with a pose moving round the track, as a car's uplink does. No car services.
 * argv: <nuc publishers endpoint> <jpeg dir> <cars> <fps>
 */
import fs from 'node:fs';
import path from 'node:path';
import { BusPublisher, carTopic } from '../../../protocol/index.ts';

const [publishers, dir, carsText, fpsText] = process.argv.slice(2) as [string, string, string, string];
const cars = Number(carsText);
const fps = Number(fpsText);
const jpegs = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .map((f) => fs.readFileSync(path.join(dir, f)));
const poses = JSON.parse(fs.readFileSync(path.join(dir, 'poses.json'), 'utf8')) as Array<{ x: number; y: number; heading: number; progress: number }>;
const loop = { count: 1, overruns: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 };

const replay = Array.from({ length: cars }, (_, i) => ({
  id: `r${i + 1}`,
  frames: BusPublisher.connect(publishers, { sendHighWaterMark: 4 }),
  others: BusPublisher.connect(publishers),
  next: performance.now() + (i * 1000) / fps / cars,
  nextTelemetry: performance.now() + (i * 50) / cars,
  frame: i * 7,
}));

const period = 1000 / fps;
let stopped = false;
const pump = (): void => {
  if (stopped) return;
  const now = performance.now();
  for (const car of replay) {
    if (now >= car.next) {
      const jpeg = jpegs[car.frame % jpegs.length]!;
      void car.frames.send(carTopic(car.id, 'frame'), { width: 640, height: 480, format: 'jpeg' }, jpeg);
      car.frame++;
      car.next += period;
      if (now - car.next > period) car.next = now + period;
    }
    if (now >= car.nextTelemetry) {
      const pose = poses[car.frame % poses.length]!;
      const sim = { track: 'default', ...pose, speed: 2, cte: 0, offTrack: false, offTrackEvents: 0, lap: 0, lapTimeS: 1 };
      void car.others.send(carTopic(car.id, 'telemetry'), { mode: 'local', angle: 0.1, throttle: 0.5, model: 'replay', loop, speed: 2, sim });
      car.nextTelemetry += 50;
      if (now - car.nextTelemetry > 50) car.nextTelemetry = now + 50;
    }
  }
  setTimeout(pump, 2);
};
pump();
process.send?.({ type: 'ready' });
process.on('SIGTERM', () => {
  stopped = true;
  void Promise.all(replay.flatMap((car) => [car.frames.close(), car.others.close()])).then(() => process.exit(0));
});
