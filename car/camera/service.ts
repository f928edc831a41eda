/** The `camera` car service: owns the camera and publishes `car/<id>/frame` with a small send queue. */
import { BusPublisher, carTopic } from '../../protocol/index.ts';
import type { ServiceContext, ServiceDefinition } from '../../runtime/index.ts';
import type { FrameSource } from './frame-source.ts';
import { MjpegSource } from './mjpeg-source.ts';
import { ReplaySource } from './replay-source.ts';
import { StreamSource, simCameraSocketPath } from './stream-source.ts';

function openSource(context: ServiceContext): Promise<FrameSource> | FrameSource {
  const { camera } = context.config.car;
  switch (camera.source) {
    case 'mjpeg': {
      const source = new MjpegSource({ command: camera.command, log: context.log });
      source.start();
      return source;
    }
    case 'replay':
      if (!camera.replayPath) throw new Error('car.camera.replayPath must name a folder of JPEGs or a tub for the replay source');
      return ReplaySource.open({ path: camera.replayPath, fps: camera.fps, loop: camera.replayLoop, log: context.log });
    case 'sim':
      // the simulator is the camera here: it streams MJPEG as a real camera's command prints it
      return new StreamSource({ socketPath: simCameraSocketPath(context.runDir), log: context.log });
  }
}

const cameraService: ServiceDefinition = {
  name: 'camera',
  description: 'camera frames (sim, mjpeg or replay) to car/<id>/frame',
  async start(context) {
    const { config, metrics } = context;
    const source = await openSource(context);
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
        await publisher.close();
      },
    };
  },
};

export default cameraService;
