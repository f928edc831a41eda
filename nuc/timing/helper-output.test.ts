import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_HELPER_LINE, parseHelperLine } from './helper-output.ts';

describe('parseHelperLine', () => {
  it('reads ready and edge lines, keeping microseconds of a nanosecond stamp', () => {
    expect(parseHelperLine('ready gpio-sim.0-node0 8 0')).toEqual({ kind: 'ready', chip: 'gpio-sim.0-node0', lines: 8, active: false });
    expect(parseHelperLine('edge rising 1765000000123456789 4')).toEqual({ kind: 'edge', active: true, atMs: 1765000000123.456, lineSeq: 4 });
    expect(parseHelperLine('edge falling 1765000000000001000 5')).toMatchObject({ active: false, atMs: 1765000000000.001 });
  });

  it('refuses anything else with the reason', () => {
    expect(parseHelperLine('edge rising 0 1')).toEqual({ kind: 'invalid', reason: 'timestamp out of range' });
    expect(parseHelperLine('edge rising 99999999999999999999 1')).toEqual({ kind: 'invalid', reason: 'timestamp out of range' });
    expect(parseHelperLine('edge up 1 1')).toEqual({ kind: 'invalid', reason: 'unknown line' });
    expect(parseHelperLine('edge rising 1765000000000000000 4 extra')).toEqual({ kind: 'invalid', reason: 'unknown line' });
    expect(parseHelperLine('ready ../../etc 8 0')).toEqual({ kind: 'invalid', reason: 'unknown line' });
    expect(parseHelperLine('x'.repeat(MAX_HELPER_LINE + 1))).toEqual({ kind: 'invalid', reason: 'too long' });
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks and cuts an endless one', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('ready a 8 0\nedge ris');
    splitter.push('ing 17 1\n');
    for (let i = 0; i < 1000; i++) splitter.push('y'.repeat(1000));
    splitter.push('\nedge falling 18 2\n');
    expect(lines[0]).toBe('ready a 8 0');
    expect(lines[1]).toBe('edge rising 17 1');
    expect(lines[2]!.length).toBe(MAX_HELPER_LINE + 1);
    expect(lines[3]).toBe('edge falling 18 2');
  });
});
