/**
 * The training worker: a child process of the `training` service, so the CPU-heavy training never
 * blocks the service's event loop. Gets one `start` message, reports progress, exits.
 */
import { runPipeline } from './pipeline.ts';
import type { StartMessage, WorkerMessage } from './worker-protocol.ts';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

process.once('message', (message: StartMessage) => {
  void (async () => {
    try {
      if (message?.type !== 'start') throw new Error('worker expected a start message');
      const result = await runPipeline(message.spec, (progress, epoch) => void send({ type: 'progress', progress, ...(epoch ? { epoch } : {}) }));
      await send({ type: 'done', result });
      process.exit(0);
    } catch (error) {
      await send({ type: 'error', message: (error as Error).message ?? String(error) });
      process.exit(1);
    }
  })();
});
