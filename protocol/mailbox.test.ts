import { describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox.ts';

describe('Mailbox', () => {
  it('keeps only the newest value and counts the ones it replaced', () => {
    const box = new Mailbox<number>();
    box.put(1);
    box.put(2);
    box.put(3);
    expect(box.take()).toBe(3);
    expect(box.take()).toBeUndefined();
    expect(box.superseded).toBe(2);
  });

  it('hands a value straight to a waiting consumer', async () => {
    const box = new Mailbox<string>();
    const next = box.next();
    box.put('a');
    await expect(next).resolves.toBe('a');
  });

  it('lets a waiting consumer stop on abort', async () => {
    const box = new Mailbox<string>();
    const controller = new AbortController();
    const next = box.next(controller.signal);
    controller.abort();
    await expect(next).resolves.toBeUndefined();
  });

  it('ends a waiting consumer on end(), gives what it still holds, and takes nothing after', async () => {
    const box = new Mailbox<number>();
    const waiting = box.next();
    box.end();
    await expect(waiting).resolves.toBeUndefined();
    box.put(1);
    await expect(box.next()).resolves.toBeUndefined();

    const held = new Mailbox<number>();
    held.put(5);
    held.end();
    await expect(held.next()).resolves.toBe(5);
    await expect(held.next()).resolves.toBeUndefined();
  });

  it('drains the newest value each time the consumer is ready, until it ends', async () => {
    const box = new Mailbox<number>();
    box.put(1);
    box.put(2);
    const seen: number[] = [];
    const done = (async () => {
      for await (const value of box.drain()) {
        seen.push(value);
        if (value === 2) {
          box.put(3);
          box.end();
        }
      }
    })();
    await done;
    expect(seen).toEqual([2, 3]);
    expect(box.superseded).toBe(1);
  });
});
