/** All-stop on SIGTERM/SIGINT: the car must never be left with throttle applied. */

export interface StopOnSignalsOptions {
  signals?: NodeJS.Signals[];
  /** exit the process once stopped (default true); the exit code is 0, or 1 if stop failed */
  exit?: boolean;
  /** give up waiting for stop after this long (default 1000 ms) */
  timeoutMs?: number;
  onError?: (err: unknown) => void;
}

/** Runs `stop` once on the first of `signals`; returns a function that removes the handlers. */
export function stopOnSignals(stop: () => Promise<void>, options: StopOnSignalsOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const timeoutMs = options.timeoutMs ?? 1000;
  let stopping: Promise<void> | undefined;
  const handler = (): void => {
    stopping ??= (async () => {
      let failed = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          stop(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`stop did not finish within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        failed = true;
        options.onError?.(err);
      } finally {
        clearTimeout(timer);
      }
      if (options.exit ?? true) process.exit(failed ? 1 : 0);
    })();
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
