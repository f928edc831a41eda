import { describe, expect, it } from 'vitest';
import { CrossingDebouncer, type EdgeVerdict } from './debounce.ts';
import { StormLimit } from './storm-limit.ts';

/** Alternating edges (active first) at these times, from a line that starts inactive. */
function feed(debouncer: CrossingDebouncer, times: number[]): EdgeVerdict[] {
  return times.map((atMs, i) => debouncer.edge({ active: i % 2 === 0, atMs }));
}
const kinds = (verdicts: EdgeVerdict[]): string[] => verdicts.map((v) => v.kind);

describe('CrossingDebouncer', () => {
  it('makes one crossing of a bouncing sensor, stamped at its first edge', () => {
    const debouncer = new CrossingDebouncer(200);
    // a contact that bounces for 3 ms, stays pressed 80 ms and bounces again on release
    const verdicts = feed(debouncer, [1000, 1000.4, 1001.1, 1001.5, 1002.9, 1083, 1083.6, 1084.2]);
    expect(verdicts.filter((v) => v.kind === 'crossing')).toEqual([{ kind: 'crossing', atMs: 1000 }]);
  });

  it('counts a strip pressed by both axles as one crossing, and the next car after a quiet gap as another', () => {
    const debouncer = new CrossingDebouncer(200);
    expect(kinds(feed(debouncer, [5000, 5030, 5120, 5150]))).toEqual(['crossing', 'release', 'bounce', 'release']);
    expect(debouncer.edge({ active: true, atMs: 5351 })).toEqual({ kind: 'crossing', atMs: 5351 });
  });

  it('keeps a slow car’s second axle in its crossing after a press longer than the debounce', () => {
    const debouncer = new CrossingDebouncer(200);
    expect(kinds(feed(debouncer, [1000, 1300, 1400, 1700]))).toEqual(['crossing', 'release', 'bounce', 'release']);
  });

  it('makes the crossing when the first edges of a burst arrive as the wrong kind (folded by the kernel), stamped at the burst’s start', () => {
    const debouncer = new CrossingDebouncer(30);
    expect(debouncer.edge({ active: false, atMs: 1000 })).toEqual({ kind: 'bounce' });
    expect(debouncer.edge({ active: false, atMs: 1001 })).toEqual({ kind: 'bounce' });
    expect(debouncer.edge({ active: true, atMs: 1002 })).toEqual({ kind: 'crossing', atMs: 1000 });
  });

  it('takes no crossing from a line active when opened until it has been quiet', () => {
    const debouncer = CrossingDebouncer.openedAt(100, true, 10_000);
    expect(debouncer.edge({ active: false, atMs: 10_050 }).kind).toBe('release');
    expect(debouncer.edge({ active: true, atMs: 10_120 }).kind).toBe('bounce');
    expect(debouncer.edge({ active: false, atMs: 10_130 }).kind).toBe('release');
    expect(debouncer.edge({ active: true, atMs: 10_300 })).toEqual({ kind: 'crossing', atMs: 10_300 });
  });

  it('refuses an edge stamped before the last one, and takes a crossing whose release before was lost', () => {
    const debouncer = new CrossingDebouncer(50);
    expect(debouncer.edge({ active: true, atMs: 1000 }).kind).toBe('crossing');
    expect(debouncer.edge({ active: true, atMs: 1020 }).kind).toBe('bounce');
    expect(debouncer.edge({ active: true, atMs: 2000 })).toEqual({ kind: 'crossing', atMs: 2000 });
    expect(debouncer.edge({ active: false, atMs: 1500 }).kind).toBe('disorder');
    expect(debouncer.edge({ active: false, atMs: Number.NaN }).kind).toBe('disorder');
  });

  it('refuses a debounce that is not positive', () => {
    expect(() => new CrossingDebouncer(0)).toThrow(/debounceMs must be positive/);
  });
});

describe('StormLimit', () => {
  it('passes at most max crossings in any window and refuses the rest', () => {
    const limit = new StormLimit(3, 60_000);
    const at = [0, 1000, 2000, 3000, 59_999, 60_000, 60_500, 61_000];
    expect(at.map((t) => limit.accept(t))).toEqual([true, true, true, false, false, true, false, true]);
  });

  it('keeps its memory bounded under a flood', () => {
    const limit = new StormLimit(5);
    let passed = 0;
    for (let i = 0; i < 100_000; i++) if (limit.accept(i)) passed++;
    // 100 s of a crossing every millisecond: five per started minute
    expect(passed).toBe(10);
  });
});
