import type { PolicyInput, PolicySet, PolicySetVerdict } from '@keyless/policies';
import type { HookVerdict, ProxiedRequest, RequestHook } from '../proxy/request-hooks.ts';
import type { UsageSink } from '../usage/usage-record.ts';

/** The request policies as a pipeline hook, and the sink through which answers' usage reaches them. */
export interface PolicyHook extends RequestHook {
  /** For the usage accounting: each accounted answer, with the model it was asked for. */
  readonly usageSink: UsageSink;
}

/**
 * Adapts the policies to the pipeline's one hook seam: a refusal becomes the
 * route's flavored error (with `Retry-After` when waiting helps), a rewritten
 * model becomes the body that is signed and sent. Usage comes from the usage
 * accounting's tap, so an answer is parsed once whoever reads its counts.
 */
export function createPolicyHook(policies: PolicySet): PolicyHook {
  return {
    beforeSend: (request) => hookVerdict(policies.check(policyInput(request))),
    beforeMessage: (request, message) =>
      hookVerdict(policies.checkMessage({ route: request.route, path: request.path, message })),
    usageSink(record) {
      if (!record.reported) return;
      const { input, output, cacheRead, cacheWrite } = record.usage;
      policies.recordUsage({
        route: record.route,
        ...(record.model === undefined ? {} : { model: record.model }),
        inputTokens: input,
        outputTokens: output,
        cacheReadTokens: cacheRead,
        cacheWriteTokens: cacheWrite,
      });
    },
  };
}

/** A refusal with `Retry-After` when waiting helps (and the api-proxy's X-RateLimit-* figures), or the body to send. */
function hookVerdict(verdict: PolicySetVerdict | undefined): HookVerdict | undefined {
  if (!verdict) return undefined;
  if ('body' in verdict) return { body: verdict.body };
  const headers: Record<string, string> = {};
  if (verdict.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(verdict.retryAfterSeconds);
  }
  if (verdict.rateLimit) {
    headers['x-ratelimit-limit'] = String(verdict.rateLimit.limit);
    headers['x-ratelimit-remaining'] = String(verdict.rateLimit.remaining);
    headers['x-ratelimit-reset'] = String(verdict.rateLimit.resetAt);
  }
  return {
    refuse: verdict.refuse,
    message: verdict.message,
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
  };
}

function policyInput(request: ProxiedRequest): PolicyInput {
  const contentEncoding = headerValue(request.headers['content-encoding']);
  const contentType = headerValue(request.headers['content-type']);
  return {
    route: request.route,
    method: request.method,
    path: request.path,
    ...(request.body ? { body: request.body } : {}),
    ...(contentEncoding === undefined ? {} : { contentEncoding }),
    ...(contentType === undefined ? {} : { contentType }),
    websocket: request.websocket,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
