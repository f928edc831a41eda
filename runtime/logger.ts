/** Structured logs: pino JSON lines on stdout, tagged with the service and car. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string, bindings: Record<string, string | undefined>): Logger {
  const base = Object.fromEntries(Object.entries(bindings).filter(([, v]) => v !== undefined));
  return pino({ level, base: { pid: process.pid, ...base } });
}
