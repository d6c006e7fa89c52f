import type { PolicyInput, PolicySet } from '@keyless/policies';
import type { ProxiedRequest, RequestHook } from '../proxy/request-hooks.ts';
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
    beforeSend(request) {
      const verdict = policies.check(policyInput(request));
      if (!verdict) return undefined;
      if ('body' in verdict) return { body: verdict.body };
      return {
        refuse: verdict.refuse,
        message: verdict.message,
        ...(verdict.retryAfterSeconds === undefined
          ? {}
          : { headers: { 'retry-after': String(verdict.retryAfterSeconds) } }),
      };
    },
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

function policyInput(request: ProxiedRequest): PolicyInput {
  return {
    route: request.route,
    method: request.method,
    path: request.path,
    ...(request.body ? { body: request.body } : {}),
    websocket: request.websocket,
  };
}
