/**
 * The `sim` car service: the simulated world under the real drivers. It owns the emulated PCA9685
 * (served to the actuator as an I2C bus over a unix socket), steps the car's physics from the pulse
 * widths the actuator wrote, and publishes the car's pose and track state as `car/<id>/sim` for the
 * pilot (telemetry, and the expert driver). With the simulated camera it is the camera too: it
 * renders the car's view and streams it as MJPEG for the camera service.
 */
import fs from 'node:fs';
import { simI2cSocketPath } from '../actuator/index.ts';
import { BusPublisher, carTopic, type FieldsOf } from '../../protocol/index.ts';
import type { ServiceContext, ServiceDefinition } from '../../runtime/index.ts';
import { dropImageCaches } from '../image-memory.ts';
import { simCameraSocketPath } from '../camera/index.ts';
import { serveCameraFeed, type CameraFeed } from './camera-feed.ts';
import { EmulatedPca9685 } from './emulated-pca9685.ts';
import { serveI2c } from './i2c-server.ts';
import { createRenderer, encodeJpeg } from './render.ts';
import type { Track } from './track.ts';
import { loadTrack } from './track-file.ts';
import { SimWorld, type SimTelemetry } from './world.ts';

/** The bus message: the world's state without its lap history (that is in bestLapS / lastLapS). */
export function simFields(telemetry: SimTelemetry): FieldsOf<'sim'> {
  const { t: _t, laps: _laps, cleanLaps: _clean, ...state } = telemetry;
  return state;
}

/** The simulated camera: the car's view from the world's pose, as a camera device streams it. */
function serveCamera(context: ServiceContext, track: Track, world: SimWorld): Promise<CameraFeed> {
  const { camera, sim } = context.config.car;
  dropImageCaches();
  const renderer = createRenderer({ track, width: camera.width, height: camera.height, seed: sim.seed });
  return serveCameraFeed({
    socketPath: simCameraSocketPath(context.runDir),
    fps: camera.fps,
    frame: () => encodeJpeg(renderer.render(world.telemetry()), camera.width, camera.height, camera.jpegQuality),
    onError: (error) => context.log.error({ err: error }, 'rendering a camera frame failed'),
  });
}

const sim: ServiceDefinition = {
  name: 'sim',
  description: 'simulated car: emulated PCA9685, physics, pose for the camera',
  async start(context) {
    const { config, metrics } = context;
    const { car } = config;
    if (car.i2c.bus !== 'sim') throw new Error(`the sim service needs car.i2c.bus 'sim' (it is ${car.i2c.bus}): a real car has no simulator`);
    const track = loadTrack(car.sim.track);
    const chip = new EmulatedPca9685({ address: car.i2c.address });
    const socketPath = simI2cSocketPath(context.runDir);
    fs.rmSync(socketPath, { force: true });
    const i2cServer = await serveI2c(chip, socketPath);
    const world = new SimWorld({ track, pulses: chip, calibration: { steering: car.actuator.steering, throttle: car.actuator.throttle } });
    const publisher = BusPublisher.connect(context.bus.publishers, { counters: metrics.counters });
    const topic = carTopic(context.carId!, 'sim');
    const loop = metrics.loop('physics');
    metrics.gauge('sim_laps', () => world.telemetry().lap);
    metrics.gauge('sim_off_track_events', () => world.telemetry().offTrackEvents);

    let last = performance.now();
    let laps = 0;
    const step = (): void => {
      const now = performance.now();
      // A stalled process must not teleport the car: cap the simulated gap.
      const dt = Math.min((now - last) / 1000, 0.1);
      last = now;
      world.step(dt);
      const telemetry = world.telemetry();
      if (telemetry.lap > laps) {
        laps = telemetry.lap;
        context.log.info({ lap: laps, lapS: telemetry.lastLapS, bestS: telemetry.bestLapS }, 'lap');
      }
      void publisher.send(topic, simFields(telemetry));
      loop.record(performance.now() - now);
    };
    const timer = setInterval(step, 1000 / car.sim.physicsHz);
    const camera = car.camera.source === 'sim' ? await serveCamera(context, track, world) : undefined;
    if (camera) {
      metrics.gauge('camera_frames', () => camera.frames);
      metrics.gauge('camera_frames_skipped', () => camera.skipped);
    }
    context.ready({ track: track.name, i2c: socketPath, camera: camera ? simCameraSocketPath(context.runDir) : 'none' });
    return {
      async stop() {
        clearInterval(timer);
        // Everything stops at once on Ctrl-C: give the actuator a moment to write its all-stop.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await camera?.close();
        await i2cServer.close();
        await publisher.close();
      },
    };
  },
};

export default sim;
