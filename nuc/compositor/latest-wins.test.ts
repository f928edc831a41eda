import { describe, expect, it } from 'vitest';
import { LatestWins } from './latest-wins.ts';

/** Work whose completion the test controls, one job at a time. */
function controlledWork() {
  const started: number[] = [];
  const finishers: ((fail?: boolean) => void)[] = [];
  const work = (input: number): Promise<string> => {
    started.push(input);
    return new Promise((resolve, reject) => {
      finishers.push((fail) => (fail ? reject(new Error(`job ${input} failed`)) : resolve(`done ${input}`)));
    });
  };
  const finishNext = async (fail = false): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    finishers.shift()!(fail);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, work, finishNext };
}

describe('LatestWins', () => {
  it('runs the newest waiting input next and drops the ones it replaced', async () => {
    const { started, work, finishNext } = controlledWork();
    const outputs: string[] = [];
    const worker = new LatestWins<number, string>({ work, onOutput: (out) => void outputs.push(out) });
    worker.offer(1);
    worker.offer(2);
    worker.offer(3);
    worker.offer(4);
    expect(started).toEqual([1]);
    await finishNext();
    expect(started).toEqual([1, 4]);
    await finishNext();
    await worker.idle();
    expect(outputs).toEqual(['done 1', 'done 4']);
    expect(worker.stats()).toEqual({ offered: 4, completed: 2, dropped: 2, failed: 0 });
    expect(worker.busy).toBe(false);
  });

  it('never holds more than one waiting input, however many arrive', async () => {
    const { started, work, finishNext } = controlledWork();
    const worker = new LatestWins<number, string>({ work, onOutput: () => {} });
    for (let i = 0; i < 1000; i++) worker.offer(i);
    await finishNext();
    await finishNext();
    await worker.idle();
    expect(started).toEqual([0, 999]);
    expect(worker.stats().dropped).toBe(998);
  });

  it('counts and reports a failure, then carries on', async () => {
    const { work, finishNext } = controlledWork();
    const errors: string[] = [];
    const outputs: string[] = [];
    const worker = new LatestWins<number, string>({
      work,
      onOutput: (out) => void outputs.push(out),
      onError: (error, input) => errors.push(`${input}: ${(error as Error).message}`),
    });
    worker.offer(1);
    worker.offer(2);
    await finishNext(true);
    await finishNext();
    await worker.idle();
    expect(errors).toEqual(['1: job 1 failed']);
    expect(outputs).toEqual(['done 2']);
    expect(worker.stats()).toMatchObject({ completed: 1, failed: 1 });
  });

  it('waits for a slow output before starting the next input', async () => {
    const order: string[] = [];
    let releaseOutput!: () => void;
    const worker = new LatestWins<number, number>({
      work: async (n) => {
        order.push(`work ${n}`);
        return n;
      },
      onOutput: (n) =>
        new Promise<void>((resolve) => {
          order.push(`output ${n}`);
          releaseOutput = () => {
            order.push(`sent ${n}`);
            resolve();
          };
        }),
    });
    worker.offer(1);
    await new Promise((resolve) => setImmediate(resolve));
    worker.offer(2);
    worker.offer(3);
    releaseOutput();
    await new Promise((resolve) => setImmediate(resolve));
    releaseOutput();
    await worker.idle();
    expect(order).toEqual(['work 1', 'output 1', 'sent 1', 'work 3', 'output 3', 'sent 3']);
  });

  it('drops the waiting input on close and accepts no more', async () => {
    const { started, work, finishNext } = controlledWork();
    const worker = new LatestWins<number, string>({ work, onOutput: () => {} });
    worker.offer(1);
    worker.offer(2);
    const closed = worker.close();
    worker.offer(3);
    await finishNext();
    await closed;
    expect(started).toEqual([1]);
    expect(worker.stats()).toMatchObject({ offered: 2, completed: 1, dropped: 1 });
  });
});
