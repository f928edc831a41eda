import { afterEach, describe, expect, it } from 'vitest';
import { HilUnavailableError, runInGuest, shellQuote } from './launcher.ts';

const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
});

describe('the HIL launcher', () => {
  it('says what to install when QEMU is missing, instead of skipping', async () => {
    process.env.PATH = '/nonexistent';
    const failure = runInGuest({ command: 'true' });
    await expect(failure).rejects.toBeInstanceOf(HilUnavailableError);
    await expect(failure).rejects.toThrow(/qemu-system-x86_64 not found on PATH: run \.ci\/run, or: apt-get update && apt-get install qemu-system-x86 busybox-static cpio/);
  });

  it('quotes anything for the guest shell', () => {
    expect(shellQuote("it's /tmp/a b")).toBe(`'it'\\''s /tmp/a b'`);
  });
});
