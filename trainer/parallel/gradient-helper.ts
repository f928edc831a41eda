/**
 * The training loop's side of data-parallel training: a helper process computing the gradients of
 * part of each batch while this process computes the rest. Node's wasm backend runs one thread, so
 * on a machine with two cores this is how training uses the second one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import type { HelperReply, HelperRequest, HelperSetup } from './protocol.ts';

const HELPER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helper-process.ts');

export class GradientHelperError extends Error {
  override name = 'GradientHelperError';
}

export class GradientHelper {
  /** replies arrive in order; each waiter takes the next one */
  private readonly waiters: { resolve: (reply: HelperReply) => void; reject: (error: Error) => void }[] = [];
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: HelperReply) => this.waiters.shift()?.resolve(reply));
    child.on('exit', (code, signal) => {
      this.exited = new GradientHelperError(`the gradient helper exited (${signal ?? `code ${code}`})`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.exited);
    });
  }

  static async start(setup: Omit<HelperSetup, 'type'>): Promise<GradientHelper> {
    const child = fork(HELPER_ENTRY, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const helper = new GradientHelper(child);
    helper.post({ type: 'setup', ...setup });
    const ready = await helper.next();
    if (ready.type !== 'ready') {
      helper.close();
      throw new GradientHelperError(`the gradient helper did not start: ${ready.type === 'error' ? ready.message : ready.type}`);
    }
    return helper;
  }

  /**
   * Sends a step and resolves once the helper has it (not when it answers): the caller computes its
   * own part meanwhile. Waiting for the receipt matters: a large message is written by this
   * process's event loop, which the caller's computation would otherwise hold up.
   */
  async send(step: number, weights: readonly tf.Tensor[], xs: readonly tf.Tensor[], ys: readonly tf.Tensor[]): Promise<{ answer: Promise<{ grads: Float32Array[]; loss: number }> }> {
    const received = this.next();
    const answer = this.next();
    this.post({
      type: 'step',
      step,
      weights: weights.map((w) => w.dataSync() as Float32Array),
      xs: xs.map((x) => x.dataSync() as Float32Array),
      xsShapes: xs.map((x) => x.shape),
      ys: ys.map((y) => y.dataSync() as Float32Array),
      ysShapes: ys.map((y) => y.shape),
    });
    const receipt = await received;
    if (receipt.type !== 'received') throw new GradientHelperError(`the gradient helper refused step ${step}: ${receipt.type === 'error' ? receipt.message : receipt.type}`);
    // wrapped: an async function would otherwise wait for the answer it returns
    return {
      answer: answer.then((reply) => {
        if (reply.type !== 'gradients' || reply.step !== step) throw new GradientHelperError(`the gradient helper failed step ${step}: ${reply.type === 'error' ? reply.message : reply.type}`);
        return { grads: reply.grads, loss: reply.loss };
      }),
    };
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    if (this.child.exitCode === null) this.child.kill();
  }

  private post(message: HelperRequest): void {
    if (this.exited) throw this.exited;
    this.child.send(message);
  }

  private next(): Promise<HelperReply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<HelperReply>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}
