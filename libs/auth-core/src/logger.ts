import { isatty } from 'node:tty';
import { pino } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Redactor } from './redaction.ts';

/** How log lines look: JSON for machines, pino-pretty for people, or pretty only on a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/** Every accepted `LogFormat`, in the order they are documented. */
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** pino level name; default `info`. */
  level?: string;
  /** Applied to every serialized line before it is written (and before it is prettified). */
  redactor: Redactor;
  /** Where lines go; default stdout. */
  destination?: pino.DestinationStream;
  /** Default `json`; `auto` is `pretty` when the destination is a terminal. */
  format?: LogFormat;
  /**
   * The pretty format's message for a line logged without one (undefined:
   * none): a person reads the message first, while JSON lines stay as small
   * as the fields.
   */
  prettyMessage?: (line: Readonly<Record<string, unknown>>) => string | undefined;
}

/**
 * A pino logger whose every line passes through `redactor.redact` right
 * before it is written. Redacting the serialized line (not fields) means that
 * messages, child bindings, serializers and error causes cannot bypass it;
 * the pretty format reformats the already redacted JSON line.
 */
export function createLogger(options: LoggerOptions): pino.Logger {
  const { redactor } = options;
  const loggerOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    hooks: { streamWrite: (line) => redactor.redact(line) },
  };
  return pino(loggerOptions, destinationOf(options));
}

function destinationOf(options: LoggerOptions): pino.DestinationStream {
  const { destination } = options;
  const terminal = destination ? (destination as { isTTY?: unknown }).isTTY === true : isatty(1);
  const format = options.format ?? 'json';
  if (format === 'json' || (format === 'auto' && !terminal)) {
    // Synchronous stdout: pino's default asynchronous stream flushes synchronously on exit and
    // retries EPIPE forever, so a process whose stdout reader died could never exit on SIGTERM.
    return destination ?? pino.destination({ dest: 1, sync: true });
  }
  // pino-pretty's synchronous stream keeps that property (its stdout stream drops EPIPE).
  // Colours only on a terminal, so that `KEYLESS_LOG_FORMAT=pretty > file` stays plain text;
  // on stdout pino-pretty decides (NO_COLOR, FORCE_COLOR, TERM).
  const { prettyMessage } = options;
  return PinoPretty({
    destination: destination ?? 1,
    sync: true,
    ignore: 'pid,hostname',
    ...(prettyMessage
      ? {
          messageFormat: (line: Record<string, unknown>, messageKey: string) =>
            typeof line[messageKey] === 'string'
              ? (line[messageKey] as string)
              : (prettyMessage(line) ?? ''),
        }
      : {}),
    ...(destination && !terminal ? { colorize: false } : {}),
  });
}
