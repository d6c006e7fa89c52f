import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RequestHook } from '../proxy/request-hooks.ts';
import { tokenUsageLine } from './token-usage-line.ts';
import { TokenUsageLog } from './token-usage-log.ts';
import { createUsageHook } from './usage-hook.ts';
import { createUsageMetrics } from './usage-metrics.ts';
import type { UsageSink } from './usage-record.ts';
import type { UsageSettings } from './usage-settings.ts';

/** Usage accounting of a running gateway. */
export interface RunningUsage {
  /** For `RouteServerDeps.hooks`. */
  readonly hook: RequestHook;
  /** Writes the lines still queued and closes the token log. */
  close(): Promise<void>;
}

/**
 * Starts usage accounting: Prometheus token metrics always, and the
 * api-proxy's `token-usage.jsonl` when AWF_TOKEN_LOG_DIR is set.
 */
export function startUsage(
  settings: UsageSettings,
  logger: Logger,
  registry: Registry,
  /** More receivers of each record (the request policies' budget). */
  extraSinks: readonly UsageSink[] = [],
): RunningUsage {
  const sinks: UsageSink[] = [createUsageMetrics(registry), ...extraSinks];
  let log: TokenUsageLog | undefined;
  if (settings.tokenLogDir) {
    const tokenLog = new TokenUsageLog(settings.tokenLogDir, {
      failed: (error, file) =>
        logger.warn(
          { event: 'usage.log_failed', file, code: error.code },
          'cannot write the token usage log; requests go on, their usage lines are dropped until it works again',
        ),
      recovered: (file) =>
        logger.info({ event: 'usage.log_recovered', file }, 'token usage log writable again'),
    });
    sinks.push((record) => tokenLog.append(tokenUsageLine(record, settings.schema)));
    log = tokenLog;
  }
  const hook = createUsageHook({
    sinks,
    onError: (error) =>
      logger.warn({ event: 'usage.failed', err: error }, 'usage accounting failed'),
  });
  return { hook, close: async () => log?.close() };
}
