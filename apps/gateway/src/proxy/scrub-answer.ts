import type { IncomingHttpHeaders } from 'node:http';
import type { UpstreamAnswer } from './pipeline.ts';
import type { SecretMatcher } from './secret-matcher.ts';
import { secretGuardFor } from './secret-scrubber.ts';

/**
 * The answer with the request's credential scrubbed out of its headers and,
 * as it streams, its body, so that an upstream (or a proxy before it) that
 * reflects the request cannot hand the credential to the agent. Bodies in a
 * content coding the gateway cannot decode pass unscanned.
 */
export function scrubAnswer(answer: UpstreamAnswer, matcher: SecretMatcher): UpstreamAnswer {
  if (matcher.empty) return answer;
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value)
      ? value.map((item) => matcher.scrubText(item))
      : matcher.scrubText(value);
  }
  const guard = secretGuardFor(String(answer.headers['content-encoding'] ?? ''), matcher);
  if (!guard) return { ...answer, headers };
  return { status: answer.status, headers, body: guard.from(answer.body) };
}
