/**
 * Watches the update repository's timestamp.json, which every publish re-signs, and reports each new
 * version, so the server can hint the cars to pull now rather than at their next poll. It looks at the
 * file on an interval: that works before the repository exists and across the renames a publish makes.
 */
import fs from 'node:fs';

/** The version of the timestamp.json at `file`, undefined while it is absent or unreadable. */
export function timestampVersion(file: string): number | undefined {
  try {
    const version = (JSON.parse(fs.readFileSync(file, 'utf8')) as { signed?: { version?: unknown } }).signed?.version;
    return typeof version === 'number' && Number.isInteger(version) ? version : undefined;
  } catch {
    return undefined; // absent, or caught between writes: the next look sees it
  }
}

/** Calls `onChange` with each version after the one found at start; returns a stop function. */
export function watchTimestamp(file: string, onChange: (version: number) => void, intervalMs = 250): () => void {
  let last = timestampVersion(file);
  const timer = setInterval(() => {
    const version = timestampVersion(file);
    if (version === undefined || version === last) return;
    last = version;
    onChange(version);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
