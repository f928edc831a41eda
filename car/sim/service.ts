/**
 * The `sim` car service: the simulated world under the real drivers. It owns the emulated PCA9685
 * (served to the actuator as an I2C bus over a unix socket), steps the car's physics from the pulse
 * widths the actuator wrote, and publishes the car's pose and track state as `car/<id>/sim` for the
 * pilot (telemetry, and the expert driver). It shares the track with the other cars the NUC relays
 * (`nuc/track/poses`: contact), and puts the car back on the track or on the grid when told
 * (`car/<id>/reset`). On the same bus an emulated INA219 measures a simulated LiPo that drains with
 * the throttle, so the actuator's real battery gauge reads it. With the simulated camera it is the camera too: it renders the car's view,
 * with the other cars in it, and streams it as MJPEG for the camera service.
 */
import fs from 'node:fs';
import { simI2cSocketPath } from '../actuator/index.ts';
import { BusPublisher, BusSubscriber, carColour, carTopic, nucTopic, type FieldsOf } from '../../protocol/index.ts';
import type { ServiceContext, ServiceDefinition } from '../../runtime/index.ts';
import { dropImageCaches } from '../image-memory.ts';
import { simCameraSocketPath } from '../camera/index.ts';
import { serveCameraFeed, type CameraFeed } from './camera-feed.ts';
import { SimBattery, DEFAULT_SIM_BATTERY } from './battery.ts';
import { EmulatedIna219 } from './emulated-ina219.ts';
import { EmulatedPca9685 } from './emulated-pca9685.ts';
import { SharedI2cBus } from './shared-i2c-bus.ts';
import { serveI2c } from './i2c-server.ts';
import { createRenderer, encodeJpeg, gridPose, loadTrack, SharedTrack, SimWorld, type SimTelemetry, type Track } from '../../world/index.ts';

/** The bus message: the world's state without its lap history (that is in bestLapS / lastLapS). */
export function simFields(telemetry: SimTelemetry): FieldsOf<'sim'> {
  const { t: _t, laps: _laps, cleanLaps: _clean, ...state } = telemetry;
  return state;
}

/** The simulated camera: the car's view from the world's pose, the other cars in it, as a camera device streams it. */
function serveCamera(context: ServiceContext, track: Track, world: SimWorld, shared: SharedTrack): Promise<CameraFeed> {
  const { camera, sim } = context.config.car;
  dropImageCaches();
  const renderer = createRenderer({ track, width: camera.width, height: camera.height, seed: sim.seed });
  return serveCameraFeed({
    socketPath: simCameraSocketPath(context.runDir),
    fps: camera.fps,
    frame: () => {
      const others = shared.others().map((other) => ({ ...other, colour: carColour(other.car) }));
      return encodeJpeg(renderer.render(world.telemetry(), others), camera.width, camera.height, camera.jpegQuality);
    },
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
    // the battery and its INA219 gauge on the same bus, where the car's configuration puts them
    const battery = new SimBattery({ ...DEFAULT_SIM_BATTERY, ...car.sim.battery });
    const gauge = car.battery.enabled ? new EmulatedIna219(car.battery.address, car.battery.shuntOhms) : undefined;
    const i2cBus = new SharedI2cBus(gauge ? [chip, gauge] : [chip], () => chip.i2cFuncs());
    const socketPath = simI2cSocketPath(context.runDir);
    fs.rmSync(socketPath, { force: true });
    const i2cServer = await serveI2c(i2cBus, socketPath);
    const carId = context.carId!;
    // The launcher's further cars start on the grid in their configured order, never inside another
    // car; the first starts on the start line, as a car alone always has.
    const slot = config.launcher.cars.indexOf(carId);
    const world = new SimWorld({
      track,
      pulses: chip,
      calibration: { steering: car.actuator.steering, throttle: car.actuator.throttle },
      start: slot > 0 ? gridPose(track, slot) : track.startPose,
    });
    const shared = new SharedTrack(carId);
    const publisher = BusPublisher.connect(context.bus, { counters: metrics.counters });
    const subscriber = BusSubscriber.connect(context.bus, {
      topics: [nucTopic('track', 'poses'), carTopic(carId, 'reset')],
      counters: metrics.counters,
      log: context.log,
    });
    subscriber.on((message) => {
      if (message.kind === 'poses') {
        if (message.header.track === track.name) shared.update(message.header);
        else metrics.counters.drop('other-track');
      } else if (message.kind === 'reset') {
        if (message.header.to === 'grid') world.placeOnGrid(message.header.slot ?? 0);
        else world.placeOnTrack();
        context.log.info({ to: message.header.to, slot: message.header.slot }, 'car reset');
      }
    });
    const topic = carTopic(carId, 'sim');
    const loop = metrics.loop('physics');
    metrics.gauge('sim_laps', () => world.telemetry().lap);
    metrics.gauge('sim_off_track_events', () => world.telemetry().offTrackEvents);
    metrics.gauge('sim_resets', () => world.telemetry().resets);
    metrics.gauge('sim_contacts', () => world.telemetry().contacts);
    metrics.gauge('sim_battery_charge', () => battery.stateOfCharge);
    // what the emulated chip's steering and throttle channels hold: the calibration page's counts reach it
    metrics.gauge('sim_steering_count', () => chip.count(car.actuator.steering.channel));
    metrics.gauge('sim_throttle_count', () => chip.count(car.actuator.throttle.channel));

    let last = performance.now();
    let laps = 0;
    const step = (): void => {
      const now = performance.now();
      // A stalled process must not teleport the car: cap the simulated gap.
      const dt = Math.min((now - last) / 1000, 0.1);
      last = now;
      world.setOthers(shared.others().map((other) => ({ ...other, atS: world.time })));
      world.step(dt);
      const telemetry = world.telemetry();
      battery.step(dt, telemetry.throttle);
      gauge?.measure({ volts: battery.volts, amps: battery.amps });
      if (telemetry.lap > laps) {
        laps = telemetry.lap;
        context.log.info({ lap: laps, lapS: telemetry.lastLapS, bestS: telemetry.bestLapS }, 'lap');
      }
      void publisher.send(topic, simFields(telemetry));
      loop.record(performance.now() - now);
    };
    const stopPhysics = context.guard.every('physics', 1000 / car.sim.physicsHz, step);
    const camera = car.camera.source === 'sim' ? await serveCamera(context, track, world, shared) : undefined;
    if (camera) {
      metrics.gauge('camera_frames', () => camera.frames);
      metrics.gauge('camera_frames_skipped', () => camera.skipped);
    }
    context.ready({ track: track.name, i2c: socketPath, camera: camera ? simCameraSocketPath(context.runDir) : 'none' });
    return {
      async stop() {
        stopPhysics();
        // Everything stops at once on Ctrl-C: give the actuator a moment to write its all-stop.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await camera?.close();
        await i2cServer.close();
        await subscriber.close();
        await publisher.close();
      },
    };
  },
};

export default sim;
