/**
 * The `training` NUC service: trains a candidate model when a recording session ends (with
 * nuc.training.autoTrain) or when the dashboard asks, one job at a time, each in a worker process.
 * Jobs live in `<dataDir>/nuc/training.sqlite`, which the server reads to list and push them.
 */
import path from 'node:path';
import { BusSubscriber } from '../../protocol/index.ts';
import { carSources, forKnownCars, knownCars } from '../known-cars/index.ts';
import { busLimits, type ServiceDefinition } from '../../runtime/index.ts';
import { JobStore } from './job-store.ts';
import { TRAINING_DB } from './names.ts';
import { TrainingQueue } from './queue.ts';
import { workerRunner } from './runner.ts';

const training: ServiceDefinition = {
  name: 'training',
  description: 'trains, evaluates and lists candidate pilot models from recorded tubs',
  async start(context) {
    const { config, log, metrics } = context;
    const store = JobStore.open(path.join(config.dataDir, TRAINING_DB));
    // The car is the truth about recording: a tub is not finished while its car still records.
    const recording = new Set<string>();
    const subscriber = BusSubscriber.connect(context.bus.subscribers, {
      topics: ['car/'],
      counters: metrics.counters,
      log,
      limits: busLimits(config),
    });
    subscriber.on(
      context.guard.wrap(
        'bus_handler',
        forKnownCars(knownCars(carSources(config)), metrics.counters, (message) => {
          if (message.topic.scope !== 'car' || message.kind !== 'telemetry') return;
          if (message.header.recording === true) recording.add(message.topic.id);
          else if (message.header.recording === false) recording.delete(message.topic.id);
        }),
      ),
    );
    const queue = new TrainingQueue({
      store,
      tubsDir: path.resolve(config.dataDir, 'tubs'),
      modelsDir: path.resolve(config.dataDir, 'models'),
      config: config.nuc.training,
      runner: workerRunner({ nice: config.nuc.training.nice }),
      log,
      recordingCars: () => recording,
    });
    queue.start();
    metrics.gauge('training_running', () => (queue.runningJob() === undefined ? 0 : 1));
    context.ready({ autoTrain: config.nuc.training.autoTrain });
    return {
      async stop() {
        await queue.stop();
        await subscriber.close();
        store.close();
      },
    };
  },
};

export default training;
