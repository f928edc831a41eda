/**
 * The `actuator` car service: owns the I2C bus and the PCA9685. Applies the newest drive command
 * the moment it arrives, writes only what changed, brings the throttle to neutral when commands stop
 * for failsafeMs, latches estop until it is cleared (the latch is kept in the run directory, so it
 * survives a restart), and publishes what it applied. It follows the drive generation the update
 * agent announces on `car/<id>/agent`, so during a hand-over only the active pilot drives. A
 * calibration saved from the dashboard (`car/<id>/calibrate`) is loaded in preference to the
 * configured counts; while calibrating, the channels hold the page's raw counts instead.
 *
 * The battery gauge (an INA219 on the same I2C bus, `car.battery`) is read here too: this process owns
 * the bus, so the gauge shares its handle (one /dev/i2c-1 user, one simulator connection, no second
 * service to supervise and update), and its reading rides on the `applied` message the pilot already
 * hears, which puts it in the telemetry. A gauge that fails is logged and counted; it never holds up
 * a drive command (its reads are two word transfers every sampleMs, queued behind no write).
 */
import { ApplyGaps } from './apply-gaps.ts';
import { BusPublisher, BusSubscriber, carTopic, type BusMessage, type HeaderOf } from '../../protocol/index.ts';
import type { ServiceContext, ServiceDefinition } from '../../runtime/index.ts';
import { BatteryGauge } from '../battery/index.ts';
import { ActuatorCore } from './actuator-core.ts';
import { angleToCount } from '../../runtime/index.ts';
import { CalibrationSession, type Neutral } from './calibration-session.ts';
import { clearEstopFile, estopFile, readEstop, writeEstop } from './estop-file.ts';
import { openDriveOutputs, simI2cSocketPath, type OpenedDriveOutputs } from './open-bus.ts';
import type { AppliedOutputs, DriveOutputs } from './outputs.ts';
import { loadSavedCalibration, saveCalibration, savedCalibrationFile, type Calibration } from './saved-calibration.ts';

/** How often the failsafe is checked between commands: well inside failsafeMs. */
const TICK_MS = 20;
const SIM_CONNECT_ATTEMPTS = 50;
/** Calibrating: the page repeats its counts; silence this long brings the throttle back to neutral. */
const CALIBRATION_HOLD_MS = 1000;

/** The configured calibration, or the one saved on the car when there is a valid one. */
async function chooseCalibration(context: ServiceContext): Promise<Calibration> {
  const { steering, throttle } = context.config.car.actuator;
  const configured = { steering, throttle };
  const file = savedCalibrationFile(context.config.dataDir, context.carId!);
  try {
    const saved = await loadSavedCalibration(file, configured);
    if (saved) context.log.info({ file, ...saved }, 'using the calibration saved on the car');
    return saved ?? configured;
  } catch (error) {
    context.log.error({ file, err: (error as Error).message }, 'the saved calibration is unusable; using the configured one');
    return configured;
  }
}

/** The simulator may still be starting: wait for its bus rather than crash-looping. */
async function openOutputs(context: ServiceContext, calibration: Calibration): Promise<OpenedDriveOutputs> {
  const { car } = context.config;
  const config = {
    i2c: { bus: car.i2c.bus, address: car.i2c.address, simSocket: simI2cSocketPath(context.runDir) },
    frequencyHz: car.actuator.frequencyHz,
    ...calibration,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDriveOutputs(config);
    } catch (error) {
      const retry = car.i2c.bus === 'sim' && (error as { code?: string }).code !== 'EINVAL' && attempt < SIM_CONNECT_ATTEMPTS;
      if (!retry || context.signal.aborted) throw error;
      if (attempt === 1) context.log.info({ err: (error as Error).message }, 'waiting for the simulated I2C bus');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function neutralOf(outputs: DriveOutputs): Neutral {
  return { stoppedCount: outputs.throttle.stoppedCount, centreCount: angleToCount(outputs.steering, 0) };
}

const actuator: ServiceDefinition = {
  name: 'actuator',
  description: 'PCA9685 steering and throttle with failsafe and estop',
  async start(context) {
    const carId = context.carId!;
    const { config, log } = context;
    const calibrationFile = savedCalibrationFile(config.dataDir, carId);
    const { outputs, bus } = await openOutputs(context, await chooseCalibration(context));
    const core = new ActuatorCore({ failsafeMs: config.car.actuator.failsafeMs });
    const latchFile = estopFile(context.runDir);
    const previousLatch = await readEstop(latchFile);
    if (previousLatch) {
      core.estop();
      log.warn({ ...previousLatch }, 'estop was latched before this start; it stays latched until cleared');
    }
    const calibration = new CalibrationSession(neutralOf(outputs), { throttleCap: config.car.actuator.calibrationThrottleCap, holdMs: CALIBRATION_HOLD_MS });
    let calibrationsSaved = 0;
    const batteryConfig = config.car.battery;
    const gauge = batteryConfig.enabled ? new BatteryGauge(bus, batteryConfig, log) : undefined;
    let batterySampled = false;
    let sampling = false;

    const counters = context.metrics.counters;
    const subscriber = BusSubscriber.connect(context.bus, {
      topics: [carTopic(carId, 'drive'), carTopic(carId, 'control'), carTopic(carId, 'agent'), carTopic(carId, 'calibrate')],
      counters,
      log,
    });
    const publisher = BusPublisher.connect(context.bus, { counters });
    const appliedTopic = carTopic(carId, 'applied');
    const loop = context.metrics.loop('apply');
    const gaps = new ApplyGaps();
    let lastApplied: AppliedOutputs | undefined;
    for (const [name, read] of Object.entries({
      commands_accepted: () => core.counters.accepted,
      commands_stale: () => core.counters.ignoredStale,
      commands_other_gen: () => core.counters.ignoredGen,
      commands_rejected: () => core.counters.rejected,
      pilot_instances: () => core.counters.newInstances,
      failsafe_trips: () => core.counters.failsafeTrips,
      estop: () => (core.estopped ? 1 : 0),
      // what the chip holds, for the calibration page (the NUC sees these with the metrics)
      calibrating: () => (calibration.calibrating ? 1 : 0),
      steering_count: () => lastApplied?.steeringCount ?? -1,
      throttle_count: () => lastApplied?.throttleCount ?? -1,
      calibration_left: () => outputs.steering.leftCount,
      calibration_right: () => outputs.steering.rightCount,
      calibration_forward: () => outputs.throttle.forwardCount,
      calibration_stopped: () => outputs.throttle.stoppedCount,
      calibration_reverse: () => outputs.throttle.reverseCount,
      calibration_throttle_cap: () => config.car.actuator.calibrationThrottleCap,
      calibrations_saved: () => calibrationsSaved,
      battery_volts: () => gauge?.state?.volts ?? -1,
      battery_amps: () => gauge?.state?.amps ?? 0,
      battery_low: () => (gauge?.state?.low ? 1 : 0),
      battery_readings: () => gauge?.counters.readings ?? 0,
      battery_read_failures: () => gauge?.counters.failures ?? 0,
      // the longest time between two applies over the last 10 s (the OS benchmark's os_drive_gap_ms)
      apply_gap_max_ms: () => gaps.maxGapMs(performance.now()),
    })) {
      context.metrics.gauge(name, read);
    }

    let lastReason = '';
    let lastCommand: unknown;
    let lastActiveGen: number | undefined;
    const apply = async (): Promise<void> => {
      const started = performance.now();
      const now = Date.now();
      const target = core.tick(now);
      let reason: HeaderOf<'applied'>['reason'] = target.reason;
      let applied: AppliedOutputs;
      if (calibration.calibrating) {
        const counts = calibration.target(now, core.estopped);
        applied = await outputs.applyCounts(counts.steeringCount, counts.throttleCount);
        reason = core.estopped ? 'estop' : 'calibration';
      } else {
        applied = await outputs.apply(target.angle, target.throttle);
      }
      lastApplied = applied;
      loop.record(performance.now() - started);
      gaps.applied(started);
      if (reason !== lastReason && reason === 'failsafe') log.warn('drive commands stopped: throttle to neutral');
      // Report each new command once, and every change the failsafe or estop makes.
      // a new active generation is reported at once: the agent waits for it to confirm a switch
      const changed = applied.wrote.steering || applied.wrote.throttle || reason !== lastReason || target.command !== lastCommand || core.activeGen !== lastActiveGen || batterySampled;
      batterySampled = false;
      lastReason = reason;
      lastCommand = target.command;
      lastActiveGen = core.activeGen;
      if (!changed) return;
      void publisher.send(appliedTopic, {
        angle: applied.angle,
        throttle: applied.throttle,
        steeringCount: applied.steeringCount,
        throttleCount: applied.throttleCount,
        reason,
        estop: core.estopped,
        ...(target.command ? { gen: target.command.gen, driveSeq: target.command.seq } : {}),
        ...(core.activeGen !== undefined ? { activeGen: core.activeGen } : {}),
        ...(gauge?.state ? { battery: gauge.state } : {}),
      });
    };

    // Latest wins at the chip too: while a write is in flight, newer commands coalesce into one more
    // apply of the newest target instead of queueing a write each. A failure (the chip vanished) is
    // logged and retried on the next tick.
    let applying = false;
    let again = false;
    const applySafely = (): void => {
      if (applying) {
        again = true;
        return;
      }
      applying = true;
      void (async () => {
        do {
          again = false;
          await apply().catch((error) => log.error({ err: error }, 'applying outputs failed'));
        } while (again);
        applying = false;
      })();
    };

    // The latch takes effect at once and is on disk before the next output is reported (a failed
    // write is logged; the latch holds in memory).
    const latch = (reason: string): void => {
      core.estop();
      log.warn({ reason }, 'estop latched');
      try {
        writeEstop(latchFile, { latchedAt: Date.now(), reason });
      } catch (error) {
        log.error({ err: error, file: latchFile }, 'cannot persist the estop latch');
      }
    };
    const clear = (): void => {
      core.clearEstop();
      log.info('estop cleared');
      try {
        clearEstopFile(latchFile);
      } catch (error) {
        log.error({ err: error, file: latchFile }, 'cannot remove the estop latch file');
      }
    };

    const onCalibrate = async (header: HeaderOf<'calibrate'>): Promise<void> => {
      const now = Date.now();
      switch (header.action) {
        case 'enter':
          if (!calibration.calibrating) log.warn('calibration state entered: drive commands are ignored until it is left');
          calibration.enter(now);
          if (header.steeringCount !== undefined || header.throttleCount !== undefined) calibration.set(header, now);
          return;
        case 'exit':
          if (calibration.calibrating) log.info('calibration state left');
          calibration.exit();
          return;
        case 'set': {
          if (!calibration.calibrating) {
            log.warn({ action: header.action }, 'calibration command refused: the actuator is not in the calibration state');
            return;
          }
          const outcome = calibration.set(header, now);
          if (outcome.throttleCapped) log.info({ asked: header.throttleCount, held: outcome.counts.throttleCount }, 'calibration throttle capped');
          return;
        }
        case 'save': {
          if (!calibration.calibrating || !header.steering || !header.throttle) {
            log.warn('calibration save refused: it needs the calibration state and all five counts');
            return;
          }
          try {
            const saved = await saveCalibration(calibrationFile, { steering: outputs.steering, throttle: outputs.throttle }, { steering: header.steering, throttle: header.throttle });
            await outputs.recalibrate(saved.steering, saved.throttle);
            calibration.recalibrate(neutralOf(outputs));
            calibrationsSaved++;
            log.info({ file: calibrationFile, ...saved }, 'calibration saved; the actuator drives with it now');
          } catch (error) {
            log.warn({ err: (error as Error).message }, 'calibration save refused');
          }
          return;
        }
      }
    };

    subscriber.on(context.guard.wrap('bus_handler', (message: BusMessage) => {
      const now = Date.now();
      if (message.kind === 'agent') {
        const { gen } = message.header;
        if (gen === undefined || gen === core.activeGen) return;
        log.info({ from: core.activeGen, to: gen }, 'following drive generation');
        core.setActiveGen(gen);
      } else if (message.kind === 'control') {
        const { estop } = message.header;
        if (estop === true && !core.estopped) latch(`control from ${message.header.input ?? 'the NUC'}`);
        else if (estop === false && core.estopped) clear();
        else return;
      } else if (message.kind === 'drive') {
        core.submit(message.header, now);
      } else if (message.kind === 'calibrate') {
        void onCalibrate(message.header)
          .catch((error: unknown) => log.error({ err: error }, 'calibration command failed'))
          .then(applySafely);
        return;
      } else return;
      applySafely();
    }));
    const stopTicker = context.guard.every('tick', TICK_MS, applySafely);
    // each sample is reported with the next applied message (the pilot puts it in the telemetry)
    const stopBattery = gauge
      ? context.guard.every('battery', batteryConfig.sampleMs, async () => {
          if (sampling) return; // a slow bus: never stack reads
          sampling = true;
          await gauge.sample().finally(() => (sampling = false));
          batterySampled = true;
          applySafely();
        })
      : () => undefined;
    context.ready({ bus: config.car.i2c.bus, estop: core.estopped });

    return {
      async stop() {
        stopTicker();
        stopBattery();
        await subscriber.close();
        // All-stop before anything else goes away: neutral throttle, then outputs off.
        await outputs.stop();
        await bus.close();
        await publisher.close();
      },
    };
  },
};

export default actuator;
