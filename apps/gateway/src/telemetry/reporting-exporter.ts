import type { Redactor } from '@keyless/auth-core';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';

/**
 * `exporter`, telling the log when exporting starts failing (once) and when it
 * works again, with the cause redacted. The SDK drops the failed batch and
 * goes on: an unreachable collector never touches a request.
 */
export function reportingExporter(
  exporter: SpanExporter,
  logger: Logger,
  redactor: Pick<Redactor, 'describe'>,
): SpanExporter {
  let failing = false;
  const report = (result: ExportResult, spans: number) => {
    if (result.code === ExportResultCode.SUCCESS) {
      if (failing) logger.info({ event: 'telemetry.export_recovered' }, 'span export works again');
      failing = false;
      return;
    }
    if (failing) return;
    failing = true;
    logger.warn(
      {
        event: 'telemetry.export_failed',
        spans,
        message: redactor.describe(result.error ?? 'export failed'),
      },
      'cannot export spans; requests go on, spans are dropped until the collector answers',
    );
  };
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        try {
          report(result, spans.length);
        } finally {
          done(result);
        }
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
}
