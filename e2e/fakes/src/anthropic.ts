import type http from 'node:http';
import { pathOf, sendJson, startFakeServer } from './fake-server.ts';
import {
  DEFAULT_CHUNKS,
  SSE_HEADERS,
  createStreamControl,
  fakeId,
  jsonBody,
  sseChunks,
  tokensOf,
  type FakeReply,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type SseEvent,
} from './sse.ts';

/** Model reported when a request names none. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-fake';

/**
 * Starts a fake Anthropic upstream on 127.0.0.1: `POST .../v1/messages` (JSON, or the full SSE
 * event sequence when the body has `"stream": true`) and `POST .../v1/messages/count_tokens`.
 * Like the real API it requires an `anthropic-version` header (400 without it).
 */
export async function startAnthropicUpstream(
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const stream = createStreamControl(options);
  const pieces = options.chunks ?? DEFAULT_CHUNKS;

  const server = await startFakeServer(
    async (request, res) => {
      const path = pathOf(request.url);
      const requestId = fakeId('req_');
      res.setHeader('request-id', requestId);
      if (options.authorize && !options.authorize(request)) {
        return sendAnthropicError(res, 401, 'authentication_error', 'invalid x-api-key', requestId);
      }
      const isCount = path.endsWith('/v1/messages/count_tokens');
      if (request.method !== 'POST' || (!isCount && !path.endsWith('/v1/messages'))) {
        return sendAnthropicError(
          res,
          404,
          'not_found_error',
          `Not found: ${request.method} ${path}`,
          requestId,
        );
      }
      if (request.headers['anthropic-version'] === undefined) {
        return sendAnthropicError(
          res,
          400,
          'invalid_request_error',
          'anthropic-version: header is required',
          requestId,
        );
      }
      const body = jsonBody(request);
      if (!body) {
        return sendAnthropicError(
          res,
          400,
          'invalid_request_error',
          'There was an issue with the JSON body.',
          requestId,
        );
      }
      const inputTokens = tokensOf(request.body);
      if (isCount) return sendJson(res, 200, { input_tokens: inputTokens });
      const model = typeof body.model === 'string' ? body.model : DEFAULT_ANTHROPIC_MODEL;
      const reply: FakeReply = { model, pieces, inputTokens };
      if (body.stream !== true) return sendJson(res, 200, anthropicMessage(reply));
      await stream.write(res, SSE_HEADERS, sseChunks(anthropicMessageEvents(reply)));
    },
    { tls: options.tls },
  );
  return { ...server, stream };
}

/** Writes an error in the Anthropic shape. */
export function sendAnthropicError(
  res: http.ServerResponse,
  status: number,
  type: string,
  message: string,
  requestId = fakeId('req_'),
): void {
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: requestId });
}

/** An Anthropic `message` object answering with `reply`. */
export function anthropicMessage(reply: FakeReply, id = fakeId('msg_')) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content: [{ type: 'text', text: reply.pieces.join('') }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: reply.inputTokens,
      output_tokens: reply.pieces.length,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  };
}

/**
 * The full Messages streaming sequence: message_start, content_block_start, ping,
 * one content_block_delta per piece, content_block_stop, message_delta, message_stop.
 */
export function anthropicMessageEvents(reply: FakeReply): SseEvent[] {
  const message = anthropicMessage(reply);
  const events: Record<string, unknown>[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { ...message.usage, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    ...reply.pieces.map((text) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: reply.pieces.length },
    },
    { type: 'message_stop' },
  ];
  return events.map((data) => ({ event: data.type as string, data }));
}
