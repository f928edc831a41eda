/**
 * The car OS's version, from the file the project's image writes (`EDGE_OS_VERSION=…` lines, like
 * /etc/os-release). Read once at the agent's start and reported with its telemetry; a car elsewhere
 * (the simulator, a developer's machine) has no such file and reports none. Bounded: a line that is
 * not a short plain version is ignored, so nothing odd reaches the fleet page.
 */
import fs from 'node:fs';

export const OS_RELEASE_FILE = '/etc/edge-os-release';
const MAX_BYTES = 4096;

export function parseOsRelease(text: string): { version: string; target?: string } | undefined {
  const fields = new Map<string, string>();
  for (const line of text.slice(0, MAX_BYTES).split('\n').slice(0, 64)) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields.set(match[1]!, match[2]!);
  }
  const version = fields.get('EDGE_OS_VERSION');
  if (!version || !/^[A-Za-z0-9._+-]{1,64}$/.test(version)) return undefined;
  const target = fields.get('EDGE_OS_TARGET');
  return { version, ...(target && /^[a-z0-9_-]{1,32}$/.test(target) ? { target } : {}) };
}

/** EDGE_OS_RELEASE names another file (tests). */
export function readOsVersion(file = process.env.EDGE_OS_RELEASE ?? OS_RELEASE_FILE): string | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(MAX_BYTES);
      const read = fs.readSync(fd, buffer, 0, MAX_BYTES, 0);
      return parseOsRelease(buffer.subarray(0, read).toString('utf8'))?.version;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
