import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../runtime/index.ts';
import { ControlLanes } from './control-lanes.ts';

const id = (n: number): string => `car/1/control\n{"seq":${n}}`;

interface Arrival {
  lane: number;
  index: number;
  at: number;
}

/**
 * Every lane carries controls 0..count-1, sent every `periodMs`, each in order (TCP): a copy lost
 * on a lane holds back that lane until its retransmission `rtoMs` later. Lanes may also miss
 * controls outright (`gapPct`: a reconnect, a full queue) and start late.
 */
function lanesDeliver(options: { lanes: number; count: number; lossPct: number; gapPct?: number; seed: number; periodMs?: number; rtoMs?: number }): Arrival[] {
  const random = seededRandom(options.seed);
  const period = options.periodMs ?? 50;
  const rto = options.rtoMs ?? 200;
  const arrivals: Arrival[] = [];
  for (let lane = 0; lane < options.lanes; lane++) {
    let free = 0; // when this lane's stream can next deliver (held behind a retransmission)
    const start = Math.floor(random() * 5);
    for (let index = start; index < options.count; index++) {
      if (random() * 100 < (options.gapPct ?? 0)) continue;
      const sent = index * period;
      let at = sent + 10 + random() * 10;
      if (random() * 100 < options.lossPct) at += rto;
      at = Math.max(at, free);
      free = at;
      arrivals.push({ lane, index, at });
    }
  }
  return arrivals.sort((a, b) => a.at - b.at || a.lane - b.lane);
}

function merge(lanes: ControlLanes, arrivals: Arrival[]): Array<Arrival> {
  return arrivals.filter((a) => lanes.take(a.lane, id(a.index), a.at) === 'forward');
}

/** The positions where an index is not above the one before it. */
function outOfOrder(indexes: number[]): number[] {
  return indexes.flatMap((index, i) => (i > 0 && index <= indexes[i - 1]! ? [i] : []));
}

describe('control lanes', () => {
  it('forwards each control once, at its first copy, in order, whatever each lane loses', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const arrivals = lanesDeliver({ lanes: 3, count: 2000, lossPct: 5, seed });
      const lanes = new ControlLanes({ lanes: 3 });
      const forwarded = merge(lanes, arrivals);
      const indexes = forwarded.map((f) => f.index);
      // in order, each once
      expect(outOfOrder(indexes)).toEqual([]);
      // every control after the lanes' late starts, at the earliest of its copies
      const first = new Map<number, number>();
      for (const a of arrivals) if (!first.has(a.index)) first.set(a.index, a.at);
      const got = new Set(indexes);
      const missing = [...first.keys()].filter((index) => index >= 5 && !got.has(index));
      expect(missing).toEqual([]);
      const late = forwarded.filter((f) => f.index >= 5 && f.at !== first.get(f.index));
      expect(late).toEqual([]);
      expect(lanes.counters.forwarded).toBe(forwarded.length);
      expect(lanes.counters.duplicates + lanes.counters.behind + lanes.counters.forwarded).toBe(arrivals.length);
    }
  });

  it('three lanes make a held-back control rare where one lane holds back one in ten', () => {
    const delayed = (lanes: number): number => {
      const forwarded = merge(new ControlLanes({ lanes }), lanesDeliver({ lanes, count: 4000, lossPct: 2, seed: 9 }));
      return forwarded.filter((f) => f.at - f.index * 50 > 100).length / forwarded.length;
    };
    expect(delayed(1)).toBeGreaterThan(0.05);
    expect(delayed(3)).toBeLessThan(0.005);
  });

  it('never forwards a control after a newer one when lanes miss different controls', () => {
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const arrivals = lanesDeliver({ lanes: 3, count: 2000, lossPct: 5, gapPct: 3, seed });
      const lanes = new ControlLanes({ lanes: 3 });
      const indexes = merge(lanes, arrivals).map((f) => f.index);
      expect(outOfOrder(indexes)).toEqual([]);
      // and it still delivers nearly all of them
      expect(indexes.length).toBeGreaterThan(1900);
    }
  });

  it('a lane that is ahead waits for the head lane, then leads', () => {
    const lanes = new ControlLanes({ lanes: 2 });
    expect(lanes.take(0, id(1), 0)).toBe('forward');
    expect(lanes.take(1, id(2), 1)).toBe('behind'); // lane 1 just joined: it cannot know what came before
    expect(lanes.take(0, id(2), 2)).toBe('forward');
    expect(lanes.take(1, id(3), 3)).toBe('forward'); // its previous is the head now
    expect(lanes.take(0, id(3), 4)).toBe('duplicate');
    expect(lanes.counters).toEqual({ forwarded: 3, duplicates: 1, behind: 1, firstBy: [2, 1], heldBackOn: [0, 0] });
  });

  it('takes over when the head lane has gone silent', () => {
    const lanes = new ControlLanes({ lanes: 2, resyncMs: 500 });
    expect(lanes.take(0, id(1), 0)).toBe('forward');
    expect(lanes.take(1, id(5), 100)).toBe('behind');
    expect(lanes.take(1, id(6), 499)).toBe('behind');
    expect(lanes.take(1, id(7), 500)).toBe('forward');
    expect(lanes.take(1, id(8), 550)).toBe('forward');
  });

  it('counts the copies a lane brought a retransmission late', () => {
    const lanes = new ControlLanes({ lanes: 2 });
    lanes.take(0, id(1), 0);
    lanes.take(1, id(1), 20);
    lanes.take(1, id(2), 50);
    lanes.take(0, id(2), 250);
    expect(lanes.counters.heldBackOn).toEqual([1, 0]);
  });

  it('an emergency stop is never held back', () => {
    const lanes = new ControlLanes({ lanes: 2 });
    expect(lanes.take(0, id(1), 0)).toBe('forward');
    expect(lanes.take(1, id(2), 1, true)).toBe('forward');
    expect(lanes.take(0, id(2), 2, true)).toBe('duplicate');
  });

  it('remembers a bounded number of controls; a lane lagging past them is held back', () => {
    const lanes = new ControlLanes({ lanes: 2, window: 4 });
    for (let n = 0; n < 10; n++) expect(lanes.take(0, id(n), n)).toBe('forward');
    expect(lanes.take(1, id(1), 10)).toBe('behind'); // forgotten, but its lane is not at the head
    expect(lanes.take(1, id(9), 11)).toBe('duplicate');
    expect(() => lanes.take(2, id(1), 0)).toThrow(/no control lane 2/);
    expect(() => new ControlLanes({ lanes: 0 })).toThrow(/positive integer/);
  });
});
