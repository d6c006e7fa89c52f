import { context, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';
import { KeylessError } from './errors.ts';

// Only the API: without a registered SDK (telemetry off) every span is a no-op.
const tracer = trace.getTracer('@keyless/auth-core');

/**
 * Runs `work` inside a span named `name`, a child of `parent` (default: the
 * active context, so that an exchange a request started nests under the
 * request). A failure marks the span with its error code, never its message.
 */
export function traced<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A failure's kind for a span: the `KEYLESS_ERR_*` code, else the error's class name. */
export function errorType(error: unknown): string {
  if (error instanceof KeylessError) return error.code;
  return error instanceof Error ? error.name : 'Error';
}
