import { describe, expect, it } from 'vitest';
import { LinkStats } from './link-stats.ts';

describe('LinkStats', () => {
  it('counts frames over the last second and takes the median latency', () => {
    const stats = new LinkStats(1000);
    for (let i = 0; i < 30; i++) stats.record(10_000 + i * 33 - (i === 5 ? 900 : 40), 10_000 + i * 33);
    const q = stats.quality(10_000 + 29 * 33);
    expect(q.fps).toBe(30);
    expect(q.latencyMs).toBe(40);
    expect(q.sinceLastMs).toBe(0);
  });

  it('shows the video stalling: fps falls to zero, time since the last frame grows', () => {
    const stats = new LinkStats(1000);
    stats.record(0, 50);
    const q = stats.quality(3050);
    expect(q).toEqual({ fps: 0, latencyMs: undefined, sinceLastMs: 3000 });
  });
});
