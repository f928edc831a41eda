/**
 * Clients locked out after too many wrong tokens, until a time; bounded, so a flood of addresses
 * cannot grow it. HTTP counts its failures with @fastify/rate-limit and locks here; socket.io
 * handshakes, which are no Fastify requests, count theirs with `socketFailure`.
 */

const MAX_CLIENTS = 10_000;

export class TokenLockout {
  private readonly until = new Map<string, number>();
  private readonly socketFailures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts a wrong token from a socket handshake; locks the client out once it has made too many in the window. */
  socketFailure(client: string, now: number): void {
    let entry = this.socketFailures.get(client);
    if (!entry || now - entry.since > this.windowMs) {
      if (this.socketFailures.size >= MAX_CLIENTS) this.socketFailures.clear();
      entry = { count: 0, since: now };
      this.socketFailures.set(client, entry);
    }
    entry.count++;
    if (entry.count > this.maxFailures) this.lock(client, entry.since + this.windowMs);
  }

  lock(client: string, untilMs: number): void {
    if (this.until.size >= MAX_CLIENTS) this.prune(Date.now());
    // still full of live lockouts: the oldest entry makes room (Map keeps insertion order)
    if (this.until.size >= MAX_CLIENTS) this.until.delete(this.until.keys().next().value!);
    this.until.set(client, untilMs);
  }

  /** How long `client` stays locked out; 0 when it is not. */
  remainingMs(client: string, now: number): number {
    const until = this.until.get(client);
    if (until === undefined) return 0;
    if (until <= now) {
      this.until.delete(client);
      return 0;
    }
    return until - now;
  }

  private prune(now: number): void {
    for (const [client, until] of this.until) if (until <= now) this.until.delete(client);
  }
}
