/**
 * The `timing` NUC service: the start/finish line. A sensor on a GPIO line (`nuc.timing.gpio`, read
 * through the kernel's GPIO character device) and the simulated cars' lap counts (`nuc.timing.sim`)
 * become crossings on `nuc/timing/crossing`, stamped with the NUC's clock; race control counts laps
 * from those alone. It can also run on a small computer at the line, paired with the `timing` role.
 */
import { BusPublisher, BusSubscriber, carTopic, nucTopic } from '../../protocol/index.ts';
import { ConfigError, type ServiceDefinition } from '../../runtime/index.ts';
import { carSources, forKnownCars, knownCars } from '../known-cars/index.ts';
import { GATE_COUNTERS, TimingGate } from './gate.ts';
import { GpioLine, GpioLineError } from './gpio-line.ts';
import { startLineOf } from './start-line.ts';

const SUBSCRIPTION_REFRESH_MS = 1000;
const REOPEN_INITIAL_MS = 1000;
const REOPEN_MAX_MS = 30_000;

const timing: ServiceDefinition = {
  name: 'timing',
  description: 'the start/finish line: a GPIO sensor and the simulated cars’ laps as crossings on nuc/timing/crossing',
  async start(context) {
    const { config, metrics, log } = context;
    const settings = config.nuc.timing;
    const publisher = BusPublisher.connect(context.bus, { counters: metrics.counters });
    const topic = nucTopic('timing', 'crossing');
    const line = settings.gpio.enabled && settings.assign === 'nearest' ? startLineOf(config.car.sim.track) : undefined;
    const gate = new TimingGate(settings, line, (crossing) => {
      log.info(crossing, 'crossing');
      void publisher.send(topic, crossing);
    });
    for (const name of GATE_COUNTERS) metrics.gauge(`timing_${name}`, () => gate.counts[name]);
    const io = { helperInvalid: 0, edgesLost: 0, reopened: 0, open: 0 };
    metrics.gauge('timing_gpio_helper_invalid', () => io.helperInvalid);
    metrics.gauge('timing_gpio_edges_lost', () => io.edgesLost);
    metrics.gauge('timing_gpio_reopened', () => io.reopened);
    metrics.gauge('timing_gpio_open', () => io.open);

    // the simulated cars' telemetry, one subscription per known car (not `car/`, which brings every frame)
    const known = knownCars(carSources(config));
    const subscribed = new Set<string>();
    const subscriber = BusSubscriber.connect(context.bus, { topics: line ? ['nuc/track/poses'] : [], counters: metrics.counters, log });
    const followCars = (): void => {
      const now = new Set(settings.sim ? known.ids() : []);
      const added = [...now].filter((car) => !subscribed.has(car));
      const removed = [...subscribed].filter((car) => !now.has(car));
      for (const car of added) subscribed.add(car);
      for (const car of removed) {
        subscribed.delete(car);
        gate.forgetCar(car);
      }
      if (added.length > 0) subscriber.subscribe(...added.map((car) => carTopic(car, 'telemetry')));
      if (removed.length > 0) subscriber.unsubscribe(...removed.map((car) => carTopic(car, 'telemetry')));
    };
    followCars();
    const stopFollowing = context.guard.every('follow_cars', SUBSCRIPTION_REFRESH_MS, followCars);
    subscriber.on(
      'telemetry',
      context.guard.wrap(
        'bus_handler',
        forKnownCars(known, metrics.counters, (message) => {
          if (message.kind === 'telemetry' && message.topic.scope === 'car' && message.header.sim) gate.telemetry(message.topic.id, message.header.sim, Date.now());
        }),
      ),
    );
    subscriber.on('poses', context.guard.wrap('bus_handler', (message) => gate.trackPoses(message.header.cars, Date.now())));

    // the sensor: opened at start (a wrong chip or line stops start-up with the field), reopened when the helper ends
    let gpio: GpioLine | undefined;
    let stopped = false;
    let reopenTimer: NodeJS.Timeout | undefined;
    let reopenDelay = REOPEN_INITIAL_MS;
    const openLine = async (): Promise<void> => {
      const opened = await GpioLine.open(settings.gpio, {
        edge: (edge) => gate.edge(edge),
        invalid: (reason) => {
          io.helperInvalid++;
          log.debug({ reason }, 'GPIO helper line refused');
        },
        lost: (count) => (io.edgesLost += count),
        exit: (code, message) => {
          io.open = 0;
          gpio = undefined;
          if (stopped) return;
          log.error({ code, message, retryMs: reopenDelay }, 'the GPIO helper ended; reopening the line');
          reopenTimer = setTimeout(
            context.guard.wrap('gpio_reopen', async () => {
              try {
                await openLine();
                io.reopened++;
                reopenDelay = REOPEN_INITIAL_MS;
              } catch (error) {
                reopenDelay = Math.min(REOPEN_MAX_MS, reopenDelay * 2);
                throw error;
              }
            }),
            reopenDelay,
          );
        },
      });
      if (stopped) {
        await opened.line.close();
        return;
      }
      gpio = opened.line;
      io.open = 1;
      gate.lineOpened(opened.start.active, opened.start.atMs);
      log.info({ chip: opened.start.chip, lines: opened.start.lines, line: settings.gpio.line, active: opened.start.active }, 'timing gate line open');
    };
    if (settings.gpio.enabled) {
      try {
        await openLine();
      } catch (error) {
        await subscriber.close();
        await publisher.close();
        if (error instanceof GpioLineError) {
          const field = error.field === 'helper' ? 'nuc.timing.gpio' : `nuc.timing.gpio.${error.field}`;
          throw new ConfigError('the configuration', field, error.reason);
        }
        throw error;
      }
    }
    context.ready({ gate: settings.gate, gpio: settings.gpio.enabled, sim: settings.sim });
    return {
      async stop() {
        stopped = true;
        clearTimeout(reopenTimer);
        stopFollowing();
        await gpio?.close();
        await subscriber.close();
        await publisher.close();
      },
    };
  },
};

export default timing;
