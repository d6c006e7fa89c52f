import { randomUUID } from 'node:crypto';
import { createUsageTap } from '@keyless/usage';
import type { AnswerObserver, ProxiedRequest, RequestHook } from '../proxy/request-hooks.ts';
import type { UsageRecord, UsageSink } from './usage-record.ts';

/** A client request id short and plain enough to write into the token log as is. */
const PLAIN_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface UsageHookOptions {
  readonly sinks: readonly UsageSink[];
  /** Hears a sink that threw; the request is never affected. */
  readonly onError: (error: unknown) => void;
  /** ms epoch; injectable for tests. */
  readonly now?: () => number;
}

/**
 * Usage accounting on the pipeline's hook seam: each successful answer of a
 * model call (2xx, or a WebSocket session) is read by a usage tap as it
 * streams to the client, and when it ends one {@link UsageRecord} goes to
 * every sink. The wire shape is picked from the route's flavor, the path and
 * the answer's content type; answers that are no model call are not tapped.
 */
export function createUsageHook({ sinks, onError, now = Date.now }: UsageHookOptions): RequestHook {
  return {
    onAnswer(request, answer): AnswerObserver | undefined {
      const { status } = answer;
      if (!(status === 101 || (status >= 200 && status < 300))) return undefined;
      const tap = createUsageTap({
        flavor: request.flavor,
        path: request.path,
        websocket: request.websocket,
        headers: answer.headers,
        ...(request.body ? { requestBody: request.body } : {}),
      });
      if (!tap) return undefined;
      return {
        data: (chunk) => tap.write(chunk),
        end: () => {
          tap
            .end()
            .then((report) => {
              const endedAt = now();
              const record: UsageRecord = {
                requestId: requestIdOf(request),
                route: request.route,
                flavor: request.flavor,
                model: report.model,
                path: request.path.split('?', 1)[0]!,
                status,
                streaming: report.streaming,
                usage: report.usage,
                reported: report.reported,
                durationMs: Math.max(0, endedAt - request.startedAt),
                responseBytes: report.bytes,
                endedAt,
              };
              for (const sink of sinks) {
                try {
                  sink(record);
                } catch (error) {
                  onError(error);
                }
              }
            })
            .catch(onError);
        },
      };
    },
  };
}

function requestIdOf(request: ProxiedRequest): string {
  const sent = request.headers['x-request-id'];
  const id = Array.isArray(sent) ? sent[0] : sent;
  return id !== undefined && PLAIN_REQUEST_ID.test(id) ? id : randomUUID();
}
