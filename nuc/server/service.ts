/** The `server` NUC service: Fastify + socket.io on the configured HTTP port, fed by the NUC bus. */
import crypto from 'node:crypto';
import path from 'node:path';
import { BusPublisher, BusSubscriber, carTopic, nucTopic } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/index.ts';
import { BackgroundLibrary } from '../compositor/index.ts';
import { buildNucServer } from './app.ts';
import { DEFAULT_EXPIRIES, deployPaths } from '../../deploy/index.ts';
import { OtaDb, startTimestampRefresh, watchTimestamp } from '../ota/index.ts';
import { modelPublisher, rollbackPublisher, timestampSigner } from './ota-signing.ts';
import { JobStore, TRAINING_DB } from '../training/index.ts';
import { FleetState } from './fleet-state.ts';
import { configuredSettings, settingsFilePath } from '../settings/index.ts';
import { SettingsStore } from './settings-store.ts';

const server: ServiceDefinition = {
  name: 'server',
  description: 'HTTP API, metrics, live sockets and dashboard',
  async start(context) {
    const { config, log } = context;
    // The launcher always passes one; a server started alone makes its own and says so.
    let token = config.nuc.token;
    if (!token) {
      token = crypto.randomBytes(12).toString('base64url');
      log.warn({ token }, 'no control token configured; generated one for this run');
    }
    const settings = await SettingsStore.open(settingsFilePath(config.dataDir), { log, defaults: configuredSettings(config) });
    // The same library directory the compositor service loads from.
    const backgrounds = new BackgroundLibrary({
      dir: path.join(config.dataDir, 'backgrounds'),
      frameWidth: config.car.camera.width,
      frameHeight: config.car.camera.height,
    });
    const fleet = new FleetState();
    const subscriber = BusSubscriber.connect(context.bus.subscribers, {
      topics: ['car/', 'nuc/'],
      counters: context.metrics.counters,
      limits: { maxPayloadBytes: config.bus.maxPayloadBytes, maxHeaderBytes: 64 * 1024 },
      log,
    });
    // The update repository the cars pull from, and its record of releases and rollouts: what `npm run deploy` publishes.
    const otaPaths = deployPaths(config.dataDir);
    const ota = OtaDb.open(otaPaths.databaseFile);
    const publisher = BusPublisher.connect(context.bus.publishers, { counters: context.metrics.counters });
    // Training jobs: the `training` service runs them; the server lists, enqueues and pushes them.
    const trainingJobs = JobStore.open(path.join(config.dataDir, TRAINING_DB));
    const nuc = await buildNucServer({
      fleet,
      log,
      metricsIntervalMs: config.bus.metricsIntervalMs,
      busConnected: () => fleet.serviceReports().length > 0,
      token,
      feed: subscriber,
      control: (car, fields) => void publisher.send(carTopic(car, 'control'), fields),
      settings,
      backgrounds,
      ota: {
        db: ota,
        publisher: () => rollbackPublisher(otaPaths),
        models: { dir: path.resolve(config.dataDir, 'models'), publisher: () => modelPublisher(otaPaths) },
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
    });
    const { metrics } = context;
    metrics.gauge('video_frames_sent', () => nuc.video.stats.sent);
    metrics.gauge('video_frames_dropped', () => nuc.video.stats.dropped);
    metrics.gauge('video_watchers', () => nuc.video.watcherCount());
    metrics.gauge('browser_inputs_accepted', () => nuc.live.inputStats.accepted);
    metrics.gauge('browser_inputs_rejected', () => Object.values(nuc.live.inputStats.rejected).reduce((a, b) => a + b, 0));
    metrics.gauge('control_actions', () => nuc.relay.actions);

    // Cars refuse an expired timestamp.json; with the online timestamp key here, keep it fresh.
    if (!timestampSigner(otaPaths)) log.info({ keys: otaPaths.keysDir }, 'no online timestamp key or repository yet; timestamp.json is refreshed once they exist');
    const stopRefresh = startTimestampRefresh({ signer: () => timestampSigner(otaPaths), lifetimeMs: DEFAULT_EXPIRIES.timestamp, log });
    // Every publish re-signs timestamp.json: hint the cars to pull now (they still verify everything).
    const stopWatch = watchTimestamp(path.join(otaPaths.repositoryDir, 'metadata', 'timestamp.json'), (timestamp) => {
      log.info({ timestamp }, 'update repository changed; hinting the cars');
      void publisher.send(nucTopic('ota', 'release'), { timestamp });
    });
    await nuc.app.listen({ port: config.nuc.httpPort, host: config.nuc.bindAddress });
    context.ready({ url: `http://localhost:${config.nuc.httpPort}` });
    return {
      async stop() {
        stopRefresh?.();
        stopWatch();
        await nuc.app.close();
        ota.close();
        trainingJobs.close();
        await subscriber.close();
        await publisher.close();
      },
    };
  },
};

export default server;
