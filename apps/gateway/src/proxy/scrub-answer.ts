import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { UpstreamAnswer } from './pipeline.ts';
import type { SecretMatcher } from './secret-matcher.ts';
import { secretGuardFor, UnscannableAnswerError } from './secret-scrubber.ts';

/**
 * The answer with the request's credential scrubbed out of its headers and,
 * as it streams, its body, so that an upstream (or a proxy before it) that
 * reflects the request cannot hand the credential to the agent. A body in a
 * content coding the gateway cannot decode (the agent may only ask for the
 * ones it can, see header-hygiene) is never relayed: its stream fails before
 * the first byte, which the route answers with its 502 error shape.
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
  const contentEncoding = String(answer.headers['content-encoding'] ?? '');
  const guard = secretGuardFor(contentEncoding, matcher);
  if (guard) return { status: answer.status, headers, body: guard.from(answer.body) };
  // undici reports its own destruction as an error: without a listener it would end the process.
  answer.body.on('error', () => {});
  answer.body.destroy();
  const refused = new Readable({ read() {} });
  refused.destroy(new UnscannableAnswerError(contentEncoding));
  return { status: answer.status, headers, body: refused };
}
