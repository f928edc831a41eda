import { describe, expect, it } from 'vitest';
import { CommandMemory } from './memory.ts';

describe('CommandMemory', () => {
  it("starts as Donkeycar's mem_seq, [0, start throttle] per command, and keeps the last commands oldest first", () => {
    const memory = new CommandMemory({ length: 3, startThrottle: 0.2 });
    expect(Array.from(memory.input())).toEqual([0, 0.2, 0, 0.2, 0, 0.2].map(Math.fround));
    memory.push(0.5, 0.3);
    memory.push(-0.25, 0.4);
    expect(Array.from(memory.input())).toEqual([0, 0.2, 0.5, 0.3, -0.25, 0.4].map(Math.fround));
    memory.push(1, 0.5);
    memory.push(-1, 0.5);
    expect(Array.from(memory.input())).toEqual([-0.25, 0.4, 1, 0.5, -1, 0.5].map(Math.fround));
    memory.reset();
    expect(Array.from(memory.input())).toEqual([0, 0.2, 0, 0.2, 0, 0.2].map(Math.fround));
  });

  it('refuses a length it cannot hold', () => {
    expect(() => new CommandMemory({ length: 0, startThrottle: 0 })).toThrow(/memory length must be an integer in \[1, 32\], got 0/);
  });
});
