/** The `camera` car service: owns the camera and publishes `car/<id>/frame` with a small send queue. */
import { BusPublisher, BusSubscriber, carColour, carTopic, nucTopic, type BusMessage } from '../../protocol/index.ts';
import type { ServiceContext, ServiceDefinition } from '../../runtime/index.ts';
import { loadTrack, SharedTrack } from '../sim/index.ts';
import type { FrameSource } from './frame-source.ts';
import { MjpegSource } from './mjpeg-source.ts';
import { ReplaySource } from './replay-source.ts';
import { SimSource, type SimPose } from './sim-source.ts';

async function openSource(context: ServiceContext, closers: Array<() => Promise<void>>): Promise<FrameSource> {
  const { camera, sim } = context.config.car;
  switch (camera.source) {
    case 'mjpeg': {
      const source = new MjpegSource({ command: camera.command, log: context.log });
      source.start();
      return source;
    }
    case 'replay':
      if (!camera.replayPath) throw new Error('car.camera.replayPath must name a folder of JPEGs or a tub for the replay source');
      return ReplaySource.open({ path: camera.replayPath, fps: camera.fps, loop: camera.replayLoop, log: context.log });
    case 'sim': {
      let pose: SimPose | undefined;
      const track = loadTrack(sim.track);
      const shared = new SharedTrack(context.carId!);
      const poses = BusSubscriber.connect(context.bus, {
        topics: [carTopic(context.carId!, 'sim'), nucTopic('track', 'poses')],
        counters: context.metrics.counters,
        log: context.log,
      });
      poses.on('sim', context.guard.wrap('bus_handler', (message: BusMessage<'sim'>) => void (pose = message.header)));
      poses.on('poses', context.guard.wrap('bus_handler', (message: BusMessage<'poses'>) => {
        if (message.header.track === track.name) shared.update(message.header);
      }));
      closers.push(() => poses.close());
      return new SimSource({
        track,
        others: () => shared.others().map((car) => ({ ...car, colour: carColour(car.car) })),
        width: camera.width,
        height: camera.height,
        fps: camera.fps,
        seed: sim.seed,
        quality: camera.jpegQuality,
        pose: () => pose,
      });
    }
  }
}

const cameraService: ServiceDefinition = {
  name: 'camera',
  description: 'camera frames (sim, mjpeg or replay) to car/<id>/frame',
  async start(context) {
    const { config, metrics } = context;
    const closers: Array<() => Promise<void>> = [];
    const source = await openSource(context, closers);
    const publisher = BusPublisher.connect(context.bus, {
      sendHighWaterMark: config.bus.frameSendHighWaterMark,
      counters: metrics.counters,
    });
    const topic = carTopic(context.carId!, 'frame');
    const loop = metrics.loop('frame_interval');
    const controller = new AbortController();
    const pump = (async () => {
      let previous = performance.now();
      for await (const frame of source.frames(controller.signal)) {
        await publisher.send(topic, { width: frame.width, height: frame.height, format: 'jpeg', ts: frame.ts }, frame.jpeg);
        const now = performance.now();
        loop.record(now - previous);
        previous = now;
      }
    })().catch((error) => {
      context.log.error({ err: error }, 'camera source failed');
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
    context.ready({ source: source.name, width: config.car.camera.width, height: config.car.camera.height, fps: config.car.camera.fps });
    return {
      async stop() {
        controller.abort();
        await source.close();
        await pump;
        for (const close of closers) await close();
        await publisher.close();
      },
    };
  },
};

export default cameraService;
