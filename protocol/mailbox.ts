/**
 * A one-slot mailbox, the one "keep only the newest" hand-over from a producer to one consumer:
 * consumers of control and drive messages and of camera frames act on the latest value only;
 * anything older that was never taken is counted as superseded, so a slow consumer never builds a
 * queue.
 */
export class Mailbox<T> {
  private value: T | undefined;
  private waiter: ((value: T | undefined) => void) | undefined;
  private ended = false;
  superseded = 0;
  delivered = 0;

  put(value: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      this.delivered++;
      resolve(value);
      return;
    }
    if (this.value !== undefined) this.superseded++;
    this.value = value;
  }

  /** The newest value not yet taken, or undefined. */
  take(): T | undefined {
    const value = this.value;
    if (value !== undefined) this.delivered++;
    this.value = undefined;
    return value;
  }

  peek(): T | undefined {
    return this.value;
  }

  /** No more values: a waiting or later `next()` resolves undefined (a value already held is still given). */
  end(): void {
    this.ended = true;
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.(undefined);
  }

  /**
   * Resolves with the newest value: at once if one is waiting, else when the next arrives.
   * Resolves undefined when `signal` aborts, so a consumer loop can stop cleanly.
   */
  next(signal?: AbortSignal): Promise<T | undefined> {
    const value = this.take();
    if (value !== undefined) return Promise.resolve(value);
    if (this.ended || signal?.aborted) return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error('Mailbox.next(): only one consumer may wait'));
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (v) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
    });
  }

  /** The newest value each time the consumer is ready, until the mailbox ends or `signal` aborts. */
  async *drain(signal?: AbortSignal): AsyncGenerator<T> {
    while (true) {
      const value = await this.next(signal);
      if (value === undefined) return;
      yield value;
    }
  }
}
