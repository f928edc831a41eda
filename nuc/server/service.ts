/** The `server` NUC service: Fastify + socket.io on the configured HTTP port, fed by the NUC bus. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BusPublisher, BusSubscriber, carTopic, nucTopic } from '../../protocol/index.ts';
import { busKeysDir, type ServiceDefinition } from '../../runtime/index.ts';
import { BackgroundLibrary } from '../compositor/index.ts';
import { buildNucServer } from './app.ts';
import { DEFAULT_EXPIRIES, deployPaths } from '../../deploy/index.ts';
import { OtaDb, ReleaseHints, startTimestampRefresh, timestampVersion, watchTimestamp } from '../ota/index.ts';
import { modelPublisher, rollbackPublisher, timestampSigner } from './ota-signing.ts';
import { JobStore, TRAINING_DB } from '../training/index.ts';
import { FleetState } from './fleet-state.ts';
import { configuredSettings, settingsFilePath } from '../settings/index.ts';
import { SettingsStore } from './settings-store.ts';
import { RaceControl, RaceStore, RACES_DB, TrackGeometry } from '../track/index.ts';
import { carSources, forKnownCars, knownCars } from '../known-cars/index.ts';

/** The PEM files of `nuc.tls`, or undefined for plain HTTP; a file that cannot be read stops the start with its path. */
function readTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } | undefined {
  if (!files.cert || !files.key) return undefined;
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`nuc.tls.${what}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
  };
  return { cert: read(files.cert, 'cert'), key: read(files.key, 'key') };
}

const server: ServiceDefinition = {
  name: 'server',
  description: 'HTTP API, metrics, live sockets and dashboard',
  async start(context) {
    const { config, log, guard } = context;
    // The launcher always passes one; a server started alone makes its own and shows it once, on
    // the console: a token never goes into the (JSON) logs.
    let token = config.nuc.token;
    if (!token) {
      token = crypto.randomBytes(12).toString('base64url');
      process.stdout.write(`\n  Token:     ${token}   (generated for this run; set nuc.token to keep one)\n\n`);
      log.warn('no control token configured; generated one for this run and printed it on the console');
    }
    const tls = readTls(config.nuc.tls);
    const settings = await SettingsStore.open(settingsFilePath(config.dataDir), { log, defaults: configuredSettings(config) });
    // The same library directory the compositor service loads from.
    const backgrounds = new BackgroundLibrary({
      dir: path.join(config.dataDir, 'backgrounds'),
      frameWidth: config.car.camera.width,
      frameHeight: config.car.camera.height,
    });
    const fleet = new FleetState();
    const known = knownCars(carSources(config));
    const subscriber = BusSubscriber.connect(context.bus, {
      topics: ['car/', 'nuc/'],
      counters: context.metrics.counters,
      log,
    });
    // The update repository the cars pull from, and its record of releases and rollouts: what `npm run deploy` publishes.
    const otaPaths = deployPaths(config.dataDir);
    const ota = OtaDb.open(otaPaths.databaseFile);
    const publisher = BusPublisher.connect(context.bus, { counters: context.metrics.counters });
    // The release hint (`nuc/ota/release`): on every publish, and with the cars an operator lets reboot into their OS update.
    const timestampFile = path.join(otaPaths.repositoryDir, 'metadata', 'timestamp.json');
    const hints = new ReleaseHints({
      send: guard.wrap('release_hint', (fields: { timestamp: number; osReboot?: string[] }) => {
        log.info(fields, 'hinting the cars');
        return publisher.send(nucTopic('ota', 'release'), fields);
      }),
      timestamp: () => timestampVersion(timestampFile) ?? 0,
      // the proxy refuses a hint closer than this to the previous one
      minIntervalMs: config.bus.releaseHintIntervalMs + 100,
    });
    // Training jobs: the `training` service runs them; the server lists, enqueues and pushes them.
    const trainingJobs = JobStore.open(path.join(config.dataDir, TRAINING_DB));
    // The shared track: the simulated cars' track, their poses relayed to every car, race control and its results.
    let geometry: TrackGeometry | undefined;
    try {
      geometry = TrackGeometry.load(config.car.sim.track);
    } catch (error) {
      log.warn({ err: error, track: config.car.sim.track }, 'no shared track: the track file cannot be read');
    }
    const races = geometry && RaceStore.open(path.join(config.dataDir, RACES_DB));
    const track =
      geometry &&
      new RaceControl({
        geometry,
        ...(races ? { store: races } : {}),
        sinks: {
          reset: (car, fields) => void publisher.send(carTopic(car, 'reset'), fields),
          poses: (fields) => void publisher.send(nucTopic('track', 'poses'), fields),
        },
        posesHz: config.nuc.race.posesHz,
        lightMs: config.nuc.race.lightMs,
        finishGraceMs: config.nuc.race.finishGraceMs,
        minLapMs: config.nuc.race.minLapMs,
        penalties: {
          reset: config.nuc.race.penalties.reset,
          'off-track': config.nuc.race.penalties.offTrack,
          contact: config.nuc.race.penalties.contact,
          'jump-start': config.nuc.race.penalties.jumpStart,
        },
        knownCar: (car) => known.has(car),
        log,
      });
    const nuc = await buildNucServer({
      fleet,
      log,
      metricsIntervalMs: config.bus.metricsIntervalMs,
      busConnected: () => fleet.serviceReports().length > 0,
      token,
      guard,
      // only cars this NUC knows reach its state, video, sockets and rollout records
      feed: { on: (handler) => subscriber.on(forKnownCars(known, context.metrics.counters, handler)) },
      carExpiryMs: config.nuc.carExpiryS * 1000,
      ...(tls ? { tls } : {}),
      control: (car, fields) => void publisher.send(carTopic(car, 'control'), fields),
      calibrate: (car, fields) => void publisher.send(carTopic(car, 'calibrate'), fields),
      erase: (car, fields) => void publisher.send(carTopic(car, 'erase'), fields),
      settings,
      backgrounds,
      ota: {
        db: ota,
        hints,
        publisher: () => rollbackPublisher(otaPaths),
        models: { dir: path.resolve(config.dataDir, 'models'), publisher: () => modelPublisher(otaPaths, ota) },
      },
      repository: { repositoryDir: otaPaths.repositoryDir, db: ota },
      training: {
        store: trainingJobs,
        tubsDir: path.resolve(config.dataDir, 'tubs'),
        modelsDir: path.resolve(config.dataDir, 'models'),
        defaultKind: config.nuc.training.kind,
        evalTracks: config.nuc.training.evalTracks,
        tracksDir: path.resolve(config.dataDir, 'tracks'),
      },
      ...(track ? { track } : {}),
      audienceVideo: config.nuc.compositor.audienceVideo,
      bus: {
        host: config.nuc.host,
        publishersPort: config.nuc.busPublishersPort,
        subscribersPort: config.nuc.busSubscribersPort,
        keysDir: busKeysDir(config),
      },
    });
    track?.start();
    // The compositor works only for the cars someone watches through it: tell it which, on change and every second.
    let composed = '';
    const publishCompose = (force: boolean): void => {
      const cars = nuc.video.composedCars();
      if (!force && cars.join() === composed) return;
      composed = cars.join();
      void publisher.send(nucTopic('server', 'compose'), { cars: cars.slice(0, 64) });
    };
    const composeTimer = setInterval(() => publishCompose(true), 1000);
    const composeWatch = setInterval(() => publishCompose(false), 100);
    const { metrics } = context;
    metrics.gauge('video_frames_sent', () => nuc.video.stats.sent);
    metrics.gauge('video_frames_dropped', () => nuc.video.stats.dropped);
    metrics.gauge('video_watchers', () => nuc.video.watcherCount());
    metrics.gauge('browser_inputs_accepted', () => nuc.live.inputStats.accepted);
    metrics.gauge('browser_inputs_rejected', () => Object.values(nuc.live.inputStats.rejected).reduce((a, b) => a + b, 0));
    metrics.gauge('control_actions', () => nuc.relay.actions);
    metrics.gauge('video_composited_cars', () => nuc.video.composedCars().length);
    if (track) {
      metrics.gauge('track_cars', () => track.table.current(Date.now()).length);
      metrics.gauge('track_resets_sent', () => track.resets.track + track.resets.grid);
      metrics.gauge('track_telemetry_refused', () => Object.values(track.table.stats.refused).reduce((a, b) => a + b, 0));
      // crossings and timekeeper corrections refused (unknown car, a lap in the future, a storm, …), by reason in /api/race's log lines
      metrics.gauge('track_timing_refused', () => Object.values(track.refused).reduce((a, b) => a + b, 0));
    }
    metrics.gauge('agent_reports_unknown_release', () => nuc.ota?.refused.unknown_release ?? 0);
    metrics.gauge('agent_reports_rate_limited', () => nuc.ota?.refused.rate ?? 0);

    // Cars refuse an expired timestamp.json; with the online timestamp key here, keep it fresh.
    if (!timestampSigner(otaPaths)) log.info({ keys: otaPaths.keysDir }, 'no online timestamp key or repository yet; timestamp.json is refreshed once they exist');
    const stopRefresh = startTimestampRefresh({ signer: () => timestampSigner(otaPaths), lifetimeMs: DEFAULT_EXPIRIES.timestamp, log });
    // Every publish re-signs timestamp.json: hint the cars to pull now (they still verify everything).
    const stopWatch = watchTimestamp(timestampFile, (timestamp: number) => {
      log.info({ timestamp }, 'update repository changed');
      hints.published(timestamp);
    });
    await nuc.app.listen({ port: config.nuc.httpPort, host: config.nuc.bindAddress });
    context.ready({ url: `${tls ? 'https' : 'http'}://localhost:${config.nuc.httpPort}` });
    return {
      async stop() {
        stopRefresh?.();
        stopWatch();
        hints.close();
        clearInterval(composeTimer);
        clearInterval(composeWatch);
        track?.stop();
        await nuc.app.close();
        races?.close();
        ota.close();
        trainingJobs.close();
        await subscriber.close();
        await publisher.close();
      },
    };
  },
};

export default server;
