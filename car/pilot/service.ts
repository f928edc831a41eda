/**
 * The `pilot` car service: the mode logic and the pilot. User control is applied the moment it
 * arrives (a drive command per control message, so the wheel's latency is not tied to the loop
 * period); in the autonomous modes the pilot runs on every frame as it arrives (a drive command
 * per frame). The drive loop at `drive.rateHz` repeats the newest decision, so the actuator's
 * failsafe stays fed between frames, and publishes telemetry.
 */
import os from 'node:os';
import { BusPublisher, BusSubscriber, carTopic, nucTopic, type BatteryStateFields, type BusMessage, type HeaderOf, type SimState } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/index.ts';
import { DriveLoop, driveRateFor } from './loop.ts';
import { FrameRunner } from './frame-runner.ts';
import { PilotError, createPilotRegistry, runPilot, type Pilot, type PilotOutput } from './pilot.ts';
import { UserControl } from './user-control.ts';
import { decideDrive, type DriveDecision } from './modes.ts';
import { linkLossPolicy, startMode } from './drive-settings.ts';
import { telemetryFields } from './telemetry.ts';
import { SharedTrack } from '../../world/index.ts';
import { createExpertPilot } from './expert-pilot.ts';
import type { ModelPilotLog } from './model-pilot.ts';
import { modelPointerFile } from './model-pointer.ts';
import { createPointerPilot } from './pointer-pilot.ts';

/** The generation this pilot process drives as; the update agent sets it for a hand-over. */
export function pilotGeneration(env: NodeJS.ProcessEnv): number {
  const value = Number(env.EDGE_PILOT_GEN ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * This process's start in ms since the car booted, sent with every drive command: a pilot restarted
 * with the same generation restarts its seq at 0, and the actuator takes the newer instance at once.
 * Boot time, not the wall clock: an NTP step on a car without a clock battery cannot make it go back.
 */
export function pilotInstance(): number {
  return Math.max(0, Math.floor((os.uptime() - process.uptime()) * 1000));
}

/** How often a model pilot checks its directory for a new model (a moved symlink, a new metadata.json). */
const MODEL_WATCH_MS = 1000;

/** `drive.pilot` is a registered pilot's name or a model directory; a model is watched for updates. */
async function choosePilot(name: string, track: string, log: ModelPilotLog): Promise<Pilot> {
  const registry = createPilotRegistry().register('expert', () => createExpertPilot(track));
  if (registry.has(name)) return registry.create(name);
  // TensorFlow.js loads only for a model pilot: the expert and constant pilots start in milliseconds.
  const { createModelPilot, isModelDir } = await import('./model-pilot.ts');
  if (!(await isModelDir(name))) {
    throw new PilotError(`drive.pilot "${name}" is neither a known pilot (${registry.names().join(', ')}) nor a directory holding a model (model.json)`);
  }
  const pilot = await createModelPilot(name, log);
  pilot.watch(MODEL_WATCH_MS);
  return pilot;
}

const pilotService: ServiceDefinition = {
  name: 'pilot',
  description: 'drive modes, user control and the pilot; publishes drive commands and telemetry',
  async start(context) {
    const { config, metrics } = context;
    const { drive, camera, sim } = config.car;
    const carId = context.carId!;
    const gen = pilotGeneration(process.env);
    const instance = pilotInstance();
    const stopOnLinkLoss = linkLossPolicy(config.car) === 'stop';
    // The update agent's model pointer, when present, takes precedence over drive.pilot.
    const pilot = await createPointerPilot({
      pointerFile: modelPointerFile(config.dataDir, carId),
      fallback: () => choosePilot(drive.pilot, sim.track, context.log),
      log: context.log,
    });
    const user = new UserControl({ timeoutMs: drive.userTimeoutMs, initialMode: startMode(config.car) });
    const publisher = BusPublisher.connect(context.bus, { counters: metrics.counters });
    const subscriber = BusSubscriber.connect(context.bus, {
      topics: [carTopic(carId, 'control'), carTopic(carId, 'frame'), carTopic(carId, 'sim'), carTopic(carId, 'link'), carTopic(carId, 'applied'), carTopic(carId, 'reset'), nucTopic('track', 'poses')],
      counters: metrics.counters,
      log: context.log,
    });
    const driveTopic = carTopic(carId, 'drive');
    const telemetryTopic = carTopic(carId, 'telemetry');
    const frames = subscriber.mailbox(carTopic(carId, 'frame'));
    let latestFrame: BusMessage<'frame'> | undefined;
    let pose: SimState | undefined;
    let pilotOutput: PilotOutput | undefined;
    let inferMs: number | undefined;
    let lastDecision: DriveDecision = { angle: 0, throttle: 0, source: 'user' };
    /** the uplink's word on the link to the NUC; a car that stops on link loss waits to hear it is up */
    let linkUp = !stopOnLinkLoss;
    /** the actuator's latch, which outlives this process and the driver's flag (it survives restarts) */
    let actuatorEstop = false;
    /** the actuator's battery gauge: every applied message carries its latest reading, or none when the chip is silent */
    let battery: BatteryStateFields | undefined;
    // The race in progress: on the grid and under the lights it holds this car's pilot.
    const race = new SharedTrack(carId);

    const publishDrive = (): void => {
      const steering = user.steering();
      lastDecision = decideDrive(user.mode, steering, pilotOutput, { estop: user.estop, stopForLinkLoss: stopOnLinkLoss && !linkUp, hold: race.held() });
      void publisher.send(driveTopic, {
        gen,
        instance,
        angle: lastDecision.angle,
        throttle: lastDecision.throttle,
        source: lastDecision.source,
        frameSeq: latestFrame?.header.seq ?? -1,
      });
    };

    subscriber.on(context.guard.wrap('bus_handler', (message: BusMessage) => {
      switch (message.kind) {
        case 'control': {
          const previousMode = user.mode;
          if (!user.update(message.header)) return;
          if (user.mode !== previousMode) context.log.info({ mode: user.mode }, 'mode changed');
          // The user's input takes effect now, not at the next loop tick.
          if (user.mode !== 'local') publishDrive();
          return;
        }
        case 'sim':
          pose = message.header;
          return;
        case 'link':
          if (message.header.up !== linkUp) context.log.warn({ up: message.header.up, since: message.header.since, stopOnLinkLoss }, message.header.up ? 'link to the NUC is back' : 'link to the NUC lost');
          linkUp = message.header.up;
          return;
        case 'applied':
          actuatorEstop = message.header.estop;
          battery = message.header.battery;
          return;
        case 'poses':
          race.update(message.header);
          return;
        case 'reset':
          if (message.header.to === 'grid') race.resetToGrid(message.header.ts);
          return;
        default:
          return;
      }
    }));

    const frameRunner = new FrameRunner({
      frames,
      active: () => user.mode !== 'user',
      onFrame: (frame) => (latestFrame = frame),
      run: async (frame) => {
        const run = await runPilot(pilot, {
          frame: { jpeg: frame.payload, width: frame.header.width, height: frame.header.height, seq: frame.header.seq, ts: frame.header.ts },
          ...(pose ? { sim: pose } : {}),
        });
        pilotOutput = run.output;
        inferMs = run.inferMs;
        if (run.error) context.log.warn({ error: run.error }, 'pilot gave no output');
        // the mode may have changed while the pilot ran
        if (user.mode !== 'user') publishDrive();
      },
      onError: (error) => context.log.error({ err: error }, 'pilot run failed'),
    });

    const loop = new DriveLoop({
      rateHz: driveRateFor(drive.rateHz, camera.fps),
      onError: (error) => context.log.error({ err: error }, 'drive loop tick failed'),
      tick: async () => {
        publishDrive();
        void publisher.send(
          telemetryTopic,
          telemetryFields({
            mode: user.mode,
            decision: lastDecision,
            pilotName: pilot.name,
            loop: loop.stats(),
            recording: user.recording,
            estop: user.estop || actuatorEstop,
            ...(inferMs !== undefined ? { inferMs } : {}),
            ...(pose ? { speed: pose.speed, sim: simState(pose) } : {}),
            ...(battery ? { battery } : {}),
          }),
        );
      },
    });
    metrics.addLoop('drive', { snapshot: () => loop.stats() });
    metrics.gauge('user_controls_lost', () => user.lost);
    metrics.gauge('user_controls_rejected', () => user.rejected);
    metrics.gauge('pilot_frames_inferred', () => frameRunner.inferred);
    metrics.gauge('pilot_frames_skipped', () => frameRunner.skipped);
    frameRunner.start();
    loop.start();
    context.ready({ pilot: pilot.name, gen, instance, rateHz: loop.rateHz, mode: user.mode });
    return {
      async stop() {
        await loop.stop();
        await frameRunner.stop();
        await subscriber.close();
        await pilot.close();
        await publisher.close();
      },
    };
  },
};

/** The telemetry's `sim` block: the track state without the sim message's own header fields. */
function simState(pose: SimState & Partial<HeaderOf<'sim'>>): SimState {
  const { v: _v, seq: _seq, ts: _ts, angle: _angle, throttle: _throttle, ...state } = pose;
  return state;
}

export default pilotService;
