/**
 * Link quality as the driver feels it: frames per second over the last second, and latency from
 * the camera's capture to this page receiving the frame (the demo's machines share a clock).
 */
export interface LinkQuality {
  fps: number;
  /** median capture-to-receipt latency over the window, ms; undefined without recent frames */
  latencyMs: number | undefined;
  /** ms since the last frame arrived; undefined before any frame */
  sinceLastMs: number | undefined;
}

export class LinkStats {
  private readonly arrivals: { at: number; latencyMs: number }[] = [];
  private lastAt: number | undefined;

  constructor(private readonly windowMs = 1000) {}

  record(frameTs: number, receivedAt: number): void {
    this.arrivals.push({ at: receivedAt, latencyMs: Math.max(0, receivedAt - frameTs) });
    this.lastAt = receivedAt;
    this.trim(receivedAt);
  }

  quality(now: number): LinkQuality {
    this.trim(now);
    const latencies = this.arrivals.map((a) => a.latencyMs).sort((a, b) => a - b);
    return {
      fps: (this.arrivals.length * 1000) / this.windowMs,
      latencyMs: latencies.length ? latencies[Math.floor((latencies.length - 1) / 2)] : undefined,
      sinceLastMs: this.lastAt === undefined ? undefined : now - this.lastAt,
    };
  }

  private trim(now: number): void {
    while (this.arrivals.length && now - this.arrivals[0]!.at > this.windowMs) this.arrivals.shift();
  }
}
