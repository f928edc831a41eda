import { describe, expect, it } from 'vitest';
import { subscriberQueueLimit } from './proxy.ts';

const MiB = 1024 * 1024;

describe('subscriberQueueLimit', () => {
  it('takes the smaller of the message count and what fits in the bytes at the largest message size', () => {
    // the defaults: 1000 messages or 128 MiB of 1 MiB + 64 KiB messages
    expect(subscriberQueueLimit({ messages: 1000, bytes: 128 * MiB }, MiB + 64 * 1024)).toBe(120);
    expect(subscriberQueueLimit({ messages: 50, bytes: 64 * MiB }, MiB)).toBe(50);
  });

  it('refuses a byte bound that leaves fewer than the minimum', () => {
    expect(subscriberQueueLimit({ messages: 1000, bytes: 64 * MiB }, 9 * MiB)).toBeUndefined();
    expect(subscriberQueueLimit({ messages: 1000, bytes: 64 * MiB }, 9 * MiB, 1)).toBe(7);
  });
});
