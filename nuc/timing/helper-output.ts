/**
 * The GPIO helper's standard output (gpio-edges.py), parsed strictly: it is another process's bytes,
 * so a line that is not exactly one of the two forms is refused with the reason, never guessed at.
 *
 *     ready <chip name> <line count> <level 0|1>
 *     edge <rising|falling> <timestamp ns> <line seqno>
 */

export type HelperLine =
  | { kind: 'ready'; chip: string; lines: number; active: boolean }
  /** `atMs` keeps microseconds: the nanosecond stamp is past what a double holds exactly */
  | { kind: 'edge'; active: boolean; atMs: number; lineSeq: number }
  | { kind: 'invalid'; reason: string };

/** Longer lines are not the helper's: cut off and refused. */
export const MAX_HELPER_LINE = 160;

const READY = /^ready ([A-Za-z0-9_.:-]{1,32}) (\d{1,4}) ([01])$/;
const EDGE = /^edge (rising|falling) (\d{1,20}) (\d{1,10})$/;

export function parseHelperLine(line: string): HelperLine {
  if (line.length > MAX_HELPER_LINE) return { kind: 'invalid', reason: 'too long' };
  const ready = READY.exec(line);
  if (ready) return { kind: 'ready', chip: ready[1]!, lines: Number(ready[2]), active: ready[3] === '1' };
  const edge = EDGE.exec(line);
  if (!edge) return { kind: 'invalid', reason: 'unknown line' };
  const ns = BigInt(edge[2]!);
  if (ns === 0n || ns >= 2n ** 63n) return { kind: 'invalid', reason: 'timestamp out of range' };
  return { kind: 'edge', active: edge[1] === 'rising', atMs: Number(ns / 1000n) / 1000, lineSeq: Number(edge[3]) };
}

/**
 * Splits a byte stream into lines of at most MAX_HELPER_LINE characters: a longer line is handed on
 * cut (and so refused by the parser), and the buffer never grows past that.
 */
export class LineSplitter {
  private partial = '';
  private overlong = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline >= 0; newline = chunk.indexOf('\n', start)) {
      this.take(chunk.slice(start, newline));
      this.flush();
      start = newline + 1;
    }
    this.take(chunk.slice(start));
  }

  private take(text: string): void {
    if (this.overlong) return;
    this.partial += text;
    if (this.partial.length > MAX_HELPER_LINE) {
      this.partial = this.partial.slice(0, MAX_HELPER_LINE + 1);
      this.overlong = true;
    }
  }

  private flush(): void {
    const line = this.partial;
    this.partial = '';
    this.overlong = false;
    this.onLine(line);
  }
}
