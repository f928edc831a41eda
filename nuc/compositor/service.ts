/**
 * The `compositor` NUC service: composites each watched car's newest camera frame onto the
 * green-screen background, panned by the car's steering, and publishes the driver's view as
 * `car/<id>/view`. Latest wins per car: frames that arrive while one is being composited replace
 * each other. Browsers with WebGL composite on their own GPU, so it works only for the cars the
 * server says someone watches through it (`nuc/server/compose`); others' frames are not decoded.
 */
import path from 'node:path';
import sharp from 'sharp';
import { BusPublisher, BusSubscriber, carTopic, nucTopic } from '../../protocol/index.ts';
import { busLimits, type ServiceContext, type ServiceDefinition } from '../../runtime/index.ts';
import { BackgroundLibrary } from './backgrounds.ts';
import { createCompositor, type CompositeResult, type Compositor } from './compositor.ts';
import { LatestWins } from './latest-wins.ts';
import { configuredSettings, settingsFilePath, watchSettings } from '../settings/index.ts';
import { compositorSettings, type CompositorSettings } from './settings-file.ts';
import { carSources, forKnownCars, knownCars } from '../known-cars/index.ts';

interface PendingFrame {
  jpeg: Buffer;
  angle: number;
  seq: number;
  ts: number;
}

interface CarPipeline {
  compositor: Compositor;
  latest: LatestWins<PendingFrame, CompositeResult>;
  angle: number;
  /** when the NUC last got a frame for it: a pipeline (~3 MB) is let go once its car is silent */
  lastFrameAt: number;
}

const compositorService: ServiceDefinition = {
  name: 'compositor',
  description: 'green-screen compositing of camera frames for the driver’s screen',
  async start(context: ServiceContext) {
    // Every frame is new: libvips' operation cache only costs memory and time here.
    sharp.cache(false);
    const { config, metrics } = context;
    const library = new BackgroundLibrary({
      dir: path.join(config.dataDir, 'backgrounds'),
      frameWidth: config.car.camera.width,
      frameHeight: config.car.camera.height,
    });
    await library.ensureBuiltIns();
    const publisher = BusPublisher.connect(context.bus.publishers, {
      sendHighWaterMark: config.bus.frameSendHighWaterMark,
      counters: metrics.counters,
    });
    const loop = metrics.loop('composite');
    const cars = new Map<string, Promise<CarPipeline>>();
    let settings: CompositorSettings = { ...config.nuc.compositor };

    const pipelineFor = (carId: string, width: number, height: number): Promise<CarPipeline> => {
      let pipeline = cars.get(carId);
      if (pipeline) return pipeline;
      pipeline = (async () => {
        const background = await library.load(settings.background);
        const compositor = createCompositor({
          width,
          height,
          background,
          panScale: settings.panScale,
          filter: settings.filter,
          quality: settings.jpegQuality,
          ...(settings.keying ? { settings: settings.keying } : {}),
        });
        const topic = carTopic(carId, 'view');
        const car: CarPipeline = {
          compositor,
          angle: 0,
          lastFrameAt: Date.now(),
          latest: new LatestWins<PendingFrame, CompositeResult>({
            work: (frame) => compositor.composite(frame.jpeg, frame.angle),
            onOutput: (result, frame) => {
              loop.record(result.timings.totalMs);
              void publisher.send(
                topic,
                {
                  width: result.width,
                  height: result.height,
                  format: 'jpeg',
                  frameSeq: frame.seq,
                  frameTs: frame.ts,
                  compositeMs: result.timings.totalMs,
                  angle: frame.angle,
                },
                result.jpeg,
              );
            },
            onError: (error) => {
              metrics.counters.drop('composite');
              context.log.warn({ err: error, car: carId }, 'frame could not be composited');
            },
          }),
        };
        return car;
      })();
      pipeline.catch((error) => {
        cars.delete(carId);
        context.log.error({ err: error, car: carId }, 'cannot set up compositing');
      });
      cars.set(carId, pipeline);
      return pipeline;
    };

    /** pipelines ready to take frames; a car's frames are dropped while its pipeline is being set up */
    const settled = new Map<string, CarPipeline>();
    const sum = (read: (car: CarPipeline) => number): number => [...settled.values()].reduce((total, car) => total + read(car), 0);
    metrics.gauge('frames_dropped_stale', () => sum((car) => car.latest.stats().dropped));
    metrics.gauge('frames_composited', () => sum((car) => car.latest.stats().completed));

    // The server's word on which cars to composite; without a word for this long, none. Only those
    // cars' frames are subscribed to, so the proxy never even sends the compositor the others.
    const DEMAND_FRESH_MS = 3000;
    const subscribed = new Set<string>();
    let demandAt = -Infinity;
    const topicsOf = (carId: string) => [carTopic(carId, 'frame'), carTopic(carId, 'telemetry')];
    const follow = (cars: ReadonlySet<string>): void => {
      for (const carId of [...subscribed]) {
        if (cars.has(carId)) continue;
        subscriber.unsubscribe(...topicsOf(carId));
        subscribed.delete(carId);
      }
      for (const carId of cars) {
        if (subscribed.has(carId)) continue;
        subscriber.subscribe(...topicsOf(carId));
        subscribed.add(carId);
      }
    };
    metrics.gauge('cars_composited', () => subscribed.size);

    const subscriber = BusSubscriber.connect(context.bus.subscribers, {
      topics: [nucTopic('server', 'compose')],
      counters: metrics.counters,
      limits: busLimits(config),
      log: context.log,
    });
    const stopStaleDemand = context.guard.every('compose_demand', 1000, () => {
      if (performance.now() - demandAt > DEMAND_FRESH_MS && subscribed.size > 0) follow(new Set());
    });
    const known = knownCars(carSources(config));
    subscriber.on(context.guard.wrap('bus_handler', forKnownCars(known, metrics.counters, (message) => {
      if (message.kind === 'compose') {
        demandAt = performance.now();
        follow(new Set(message.header.cars.filter((carId) => known.has(carId))));
        return;
      }
      const carId = message.topic.id;
      if (message.topic.scope !== 'car' || !subscribed.has(carId)) return;
      if (message.kind === 'telemetry') {
        const car = settled.get(carId);
        if (car) car.angle = message.header.angle;
        return;
      }
      if (message.kind !== 'frame') return;
      const { header } = message;
      const ready = settled.get(carId);
      if (ready) {
        ready.lastFrameAt = Date.now();
        ready.latest.offer({ jpeg: message.payload, angle: ready.angle, seq: header.seq, ts: header.ts });
        return;
      }
      // a pipeline that cannot be set up was logged and counted by pipelineFor; the next frame tries again
      pipelineFor(carId, header.width, header.height).then(
        (car) => settled.set(carId, car),
        () => metrics.counters.drop('pipeline'),
      );
    })));

    const expiryMs = config.nuc.carExpiryS * 1000;
    const stopSweep = context.guard.every('car_sweep', Math.min(10_000, expiryMs / 4), () => {
      const now = Date.now();
      for (const [carId, car] of settled) {
        if (now - car.lastFrameAt <= expiryMs) continue;
        settled.delete(carId);
        cars.delete(carId);
        void car.latest.close();
        context.log.info({ car: carId }, 'car silent; its compositing pipeline is let go');
      }
    });

    // Settings changed from the dashboard reach running compositors without a restart.
    const stopWatching = watchSettings(settingsFilePath(config.dataDir), context.log, configuredSettings(config), async (sections) => {
      const update = compositorSettings(sections);
      settings = { ...settings, ...update };
      const background = update.background ? await library.load(update.background).catch(() => undefined) : undefined;
      for (const car of settled.values()) {
        if (update.keying) car.compositor.updateSettings(update.keying);
        if (update.panScale !== undefined) car.compositor.setPanScale(update.panScale);
        if (update.filter) car.compositor.setFilter(update.filter);
        if (update.jpegQuality !== undefined) car.compositor.setQuality(update.jpegQuality);
        if (background) car.compositor.setBackground(background);
      }
    });

    context.ready({ background: settings.background });
    return {
      async stop() {
        stopStaleDemand();
        stopSweep();
        stopWatching();
        await subscriber.close();
        for (const car of settled.values()) car.latest.close();
        await publisher.close();
      },
    };
  },
};

export default compositorService;
