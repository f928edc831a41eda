import { describe, expect, it } from 'vitest';
import { stopOnSignals } from './shutdown.ts';

describe('stopOnSignals', () => {
  it('runs stop once on SIGTERM and removes its handlers when disposed', async () => {
    let stops = 0;
    const before = process.listenerCount('SIGTERM');
    const dispose = stopOnSignals(async () => void stops++, { exit: false });
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stops).toBe(1);
    dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('reports a stop that hangs instead of waiting forever', async () => {
    const errors: unknown[] = [];
    const dispose = stopOnSignals(() => new Promise<void>(() => undefined), {
      exit: false,
      timeoutMs: 20,
      signals: ['SIGUSR2'],
      onError: (err) => errors.push(err),
    });
    process.emit('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 60));
    dispose();
    expect(String(errors[0])).toMatch(/stop did not finish within 20 ms/);
  });
});
