/**
 * Structured logs: pino JSON lines on stdout, tagged with the service and car. On a terminal the
 * same records are printed as readable lines through pino-pretty (a development dependency: where
 * it is not installed, a terminal gets JSON too).
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  /** readable lines instead of JSON; default: when stdout is a terminal */
  pretty?: boolean;
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/** pino-pretty's stream factory, or undefined when the package is not installed. */
function prettyFactory(): PrettyFactory | undefined {
  try {
    // Required by a variable name: a service bundle must not carry it, and a production install may lack it.
    const name = 'pino-pretty';
    return createRequire(import.meta.url)(name) as PrettyFactory;
  } catch {
    return undefined;
  }
}

function prettyStream(): DestinationStream | undefined {
  return prettyFactory()?.({
    colorize: true,
    // synchronous writes: lines written just before a process exits are not lost
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,car',
    messageFormat: '{service}{if car} (car {car}){end}: {msg}',
  });
}

export function createLogger(level: string, bindings: Record<string, string | undefined>, options: LoggerOptions = {}): Logger {
  const base = Object.fromEntries(Object.entries(bindings).filter(([, v]) => v !== undefined));
  const settings = { level, base: { pid: process.pid, ...base } };
  const stream = (options.pretty ?? process.stdout.isTTY === true) ? prettyStream() : undefined;
  return stream ? pino(settings, stream) : pino(settings);
}
