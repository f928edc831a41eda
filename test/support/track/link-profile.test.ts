import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../runtime/index.ts';
import { LinkDirection, TRACK_WIFI, type Verdict } from './link-profile.ts';

function run(direction: LinkDirection, packets: number, gapMs: number, bytes = 1000): Verdict[] {
  const random = seededRandom(7);
  return Array.from({ length: packets }, (_, i) => direction.take(i * gapMs, bytes, random));
}

describe('a link direction', () => {
  it('track Wi-Fi: about 2 % lost, the rest delayed 15 ± 5 ms, about 1 % overtaking', () => {
    const direction = new LinkDirection(TRACK_WIFI);
    const verdicts = run(direction, 20_000, 2);
    const sent = verdicts.flatMap((v, i) => (v.send ? [{ i, delay: v.at - i * 2 }] : []));
    expect(direction.counters.lost / 20_000).toBeCloseTo(0.02, 2);
    expect(direction.counters.reordered / sent.length).toBeCloseTo(0.01, 2);
    const delayed = sent.filter((s) => s.delay > 0.5);
    expect(Math.min(...delayed.map((s) => s.delay))).toBeGreaterThanOrEqual(10);
    expect(Math.max(...delayed.map((s) => s.delay))).toBeLessThanOrEqual(20 + 2);
    // the delayed ones keep their order; only the reordered ones overtake
    const times = verdicts.flatMap((v) => (v.send ? [v.at] : []));
    const overtaking = times.filter((t, i) => i > 0 && t < times[i - 1]!).length;
    expect(overtaking).toBeGreaterThan(0);
    expect(overtaking).toBeLessThanOrEqual(direction.counters.reordered);
  });

  it('a partition loses every packet silently until it heals', () => {
    const direction = new LinkDirection(TRACK_WIFI, true);
    expect(run(direction, 100, 1).every((v) => !v.send && v.reason === 'partition')).toBe(true);
    direction.partitioned = false;
    expect(run(direction, 100, 1).filter((v) => v.send).length).toBeGreaterThan(90);
  });

  it('a rate limit spaces packets out and drops what would queue too long', () => {
    const direction = new LinkDirection({ delayMs: 0, jitterMs: 0, lossPct: 0, reorderPct: 0, rateMbit: 8 });
    // 1000-byte packets at 8 Mbit/s: one per ms; offered every 0.5 ms, the queue grows until it drops
    const verdicts = run(direction, 2000, 0.5);
    const sent = verdicts.flatMap((v) => (v.send ? [v.at] : []));
    expect(sent[1]! - sent[0]!).toBeCloseTo(1, 6);
    expect(direction.counters.queueDrops).toBeGreaterThan(0);
    expect(Math.max(...verdicts.flatMap((v, i) => (v.send ? [v.at - i * 0.5] : [])))).toBeLessThanOrEqual(201);
  });
});
