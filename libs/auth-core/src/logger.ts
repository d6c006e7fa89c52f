import { pino } from 'pino';
import type { Redactor } from './redaction.ts';

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** pino level name; default `info`. */
  level?: string;
  /** Applied to every serialized line before it is written. */
  redactor: Redactor;
  /** Where lines go; default stdout. */
  destination?: pino.DestinationStream;
}

/**
 * A pino JSON logger whose every line passes through `redactor.redact` right
 * before it is written. Redacting the serialized line (not fields) means that
 * messages, child bindings, serializers and error causes cannot bypass it.
 */
export function createLogger(options: LoggerOptions): pino.Logger {
  const { redactor } = options;
  const loggerOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    hooks: { streamWrite: (line) => redactor.redact(line) },
  };
  // Synchronous stdout: pino's default asynchronous stream flushes synchronously on exit and
  // retries EPIPE forever, so a process whose stdout reader died could never exit on SIGTERM.
  return pino(loggerOptions, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
