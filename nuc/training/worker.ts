/**
 * The training worker: a child process of the `training` service, so the CPU-heavy training never
 * blocks the service's event loop. Gets one `start` message, reports progress, exits.
 */
import os from 'node:os';
import { runPipeline } from './pipeline.ts';
import type { StartMessage, WorkerMessage } from './worker-protocol.ts';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * Background work by default: the NUC's live services (video, control) and a simulated car on the
 * same machine keep their CPU; the gradient helper process inherits the priority.
 */
function lowerPriority(nice: number): void {
  try {
    if (nice > os.getPriority()) os.setPriority(nice);
  } catch {
    // not permitted here: training runs at the service's priority
  }
}

process.once('message', (message: StartMessage) => {
  void (async () => {
    try {
      if (message?.type !== 'start') throw new Error('worker expected a start message');
      lowerPriority(message.nice);
      const result = await runPipeline(message.spec, (progress, epoch) => void send({ type: 'progress', progress, ...(epoch ? { epoch } : {}) }));
      await send({ type: 'done', result });
      process.exit(0);
    } catch (error) {
      await send({ type: 'error', message: (error as Error).message ?? String(error) });
      process.exit(1);
    }
  })();
});
