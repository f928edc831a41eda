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
});
