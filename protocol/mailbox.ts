/**
 * A one-slot mailbox: the newest value wins. Consumers of control and drive messages act on the
 * latest value only; anything older that was never taken is counted as superseded.
 */
export class Mailbox<T> {
  private value: T | undefined;
  private waiter: ((value: T) => void) | undefined;
  superseded = 0;
  delivered = 0;

  put(value: T): void {
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

  /**
   * Resolves with the newest value: at once if one is waiting, else when the next arrives.
   * Resolves undefined when `signal` aborts, so a consumer loop can stop cleanly.
   */
  next(signal?: AbortSignal): Promise<T | undefined> {
    const value = this.take();
    if (value !== undefined) return Promise.resolve(value);
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error('Mailbox.next(): only one consumer may wait'));
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (v: T) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
    });
  }
}
