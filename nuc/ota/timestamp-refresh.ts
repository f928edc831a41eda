/**
 * Keeps the repository's timestamp.json from expiring: cars refuse metadata past its expiry (the
 * freeze-attack defence), so a quiet repository must still be re-signed. Checked at start and then
 * periodically; re-signed once less than half its lifetime remains. Signing is the caller's.
 */

export interface TimestampSigner {
  /** the current timestamp's expiry (ISO 8601); throws when the repository cannot be read */
  expires(): string;
  /** re-signs timestamp.json with a fresh expiry */
  refresh(): void;
}

export interface TimestampRefreshLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface TimestampRefreshOptions {
  /** undefined while this machine cannot sign (no repository or no online timestamp key): nothing to do */
  signer: () => TimestampSigner | undefined;
  /** the lifetime a fresh timestamp gets (deploy's DEFAULT_EXPIRIES.timestamp) */
  lifetimeMs: number;
  /** how often to check; default an hour */
  checkEveryMs?: number;
  log: TimestampRefreshLog;
  clock?: () => number;
}

/** True when less than half of the lifetime remains (or the expiry cannot be understood). */
export function timestampNeedsRefresh(expires: string, now: number, lifetimeMs: number): boolean {
  const at = Date.parse(expires);
  return !Number.isFinite(at) || at - now < lifetimeMs / 2;
}

/** One check; returns whether it re-signed. Failures are logged, never thrown (the server keeps running). */
export function refreshTimestampIfDue(options: TimestampRefreshOptions): boolean {
  const { log } = options;
  const now = (options.clock ?? Date.now)();
  try {
    const signer = options.signer();
    if (!signer) return false;
    const before = signer.expires();
    if (!timestampNeedsRefresh(before, now, options.lifetimeMs)) return false;
    signer.refresh();
    log.info({ before, expires: signer.expires() }, 'timestamp.json re-signed');
    return true;
  } catch (error) {
    log.warn({ error: (error as Error).message }, 'cannot re-sign timestamp.json; cars refuse updates once it expires');
    return false;
  }
}

/** Checks now and every `checkEveryMs`; returns the stop function. */
export function startTimestampRefresh(options: TimestampRefreshOptions): () => void {
  refreshTimestampIfDue(options);
  const timer = setInterval(() => refreshTimestampIfDue(options), options.checkEveryMs ?? 60 * 60 * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
