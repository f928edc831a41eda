/**
 * The `actuator` car service: owns the I2C bus and the PCA9685. Applies the newest drive command
 * the moment it arrives, writes only what changed, brings the throttle to neutral when commands stop
 * for failsafeMs, latches estop until it is cleared, and publishes what it applied. It follows the
 * drive generation the update agent announces on `car/<id>/agent`, so during a hand-over only the
 * active pilot drives.
 */
import { BusPublisher, BusSubscriber, carTopic, type BusMessage } from '../../protocol/index.ts';
import type { ServiceContext, ServiceDefinition } from '../../runtime/index.ts';
import { ActuatorCore } from './actuator-core.ts';
import { openDriveOutputs, simI2cSocketPath, type OpenedDriveOutputs } from './open-bus.ts';

/** How often the failsafe is checked between commands: well inside failsafeMs. */
const TICK_MS = 20;
const SIM_CONNECT_ATTEMPTS = 50;

/** The simulator may still be starting: wait for its bus rather than crash-looping. */
async function openOutputs(context: ServiceContext): Promise<OpenedDriveOutputs> {
  const { car } = context.config;
  const config = {
    i2c: { bus: car.i2c.bus, address: car.i2c.address, simSocket: simI2cSocketPath(context.runDir) },
    frequencyHz: car.actuator.frequencyHz,
    steering: car.actuator.steering,
    throttle: car.actuator.throttle,
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

const actuator: ServiceDefinition = {
  name: 'actuator',
  description: 'PCA9685 steering and throttle with failsafe and estop',
  async start(context) {
    const carId = context.carId!;
    const { outputs, bus } = await openOutputs(context);
    const core = new ActuatorCore({ failsafeMs: context.config.car.actuator.failsafeMs });
    const counters = context.metrics.counters;
    const subscriber = BusSubscriber.connect(context.bus, {
      topics: [carTopic(carId, 'drive'), carTopic(carId, 'control'), carTopic(carId, 'agent')],
      counters,
      log: context.log,
    });
    const publisher = BusPublisher.connect(context.bus, { counters });
    const appliedTopic = carTopic(carId, 'applied');
    const loop = context.metrics.loop('apply');
    for (const [name, read] of Object.entries({
      commands_accepted: () => core.counters.accepted,
      commands_stale: () => core.counters.ignoredStale,
      commands_other_gen: () => core.counters.ignoredGen,
      commands_rejected: () => core.counters.rejected,
      failsafe_trips: () => core.counters.failsafeTrips,
      estop: () => (core.estopped ? 1 : 0),
    })) {
      context.metrics.gauge(name, read);
    }

    let lastReason = '';
    let lastCommand: unknown;
    let lastActiveGen: number | undefined;
    const apply = async (): Promise<void> => {
      const started = performance.now();
      const target = core.tick(Date.now());
      const applied = await outputs.apply(target.angle, target.throttle);
      loop.record(performance.now() - started);
      if (target.reason !== lastReason && target.reason === 'failsafe') context.log.warn('drive commands stopped: throttle to neutral');
      // Report each new command once, and every change the failsafe or estop makes.
      // a new active generation is reported at once: the agent waits for it to confirm a switch
      const changed =
        applied.wrote.steering || applied.wrote.throttle || target.reason !== lastReason || target.command !== lastCommand || core.activeGen !== lastActiveGen;
      lastReason = target.reason;
      lastCommand = target.command;
      lastActiveGen = core.activeGen;
      if (!changed) return;
      void publisher.send(appliedTopic, {
        angle: applied.angle,
        throttle: applied.throttle,
        steeringCount: applied.steeringCount,
        throttleCount: applied.throttleCount,
        reason: target.reason,
        estop: core.estopped,
        ...(target.command ? { gen: target.command.gen, driveSeq: target.command.seq } : {}),
        ...(core.activeGen !== undefined ? { activeGen: core.activeGen } : {}),
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
          await apply().catch((error) => context.log.error({ err: error }, 'applying outputs failed'));
        } while (again);
        applying = false;
      })();
    };

    subscriber.on(context.guard.wrap('bus_handler', (message: BusMessage) => {
      const now = Date.now();
      if (message.kind === 'agent') {
        const { gen } = message.header;
        if (gen === undefined || gen === core.activeGen) return;
        context.log.info({ from: core.activeGen, to: gen }, 'following drive generation');
        core.setActiveGen(gen);
      } else if (message.kind === 'control') {
        const { estop } = message.header;
        if (estop === true && !core.estopped) {
          core.estop();
          context.log.warn('estop latched');
        } else if (estop === false && core.estopped) {
          core.clearEstop();
          context.log.info('estop cleared');
        } else return;
      } else if (message.kind === 'drive') {
        core.submit(message.header, now);
      } else return;
      applySafely();
    }));
    const stopTicker = context.guard.every('tick', TICK_MS, applySafely);
    context.ready({ bus: context.config.car.i2c.bus });

    return {
      async stop() {
        stopTicker();
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
