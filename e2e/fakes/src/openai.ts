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
export const DEFAULT_OPENAI_MODEL = 'gpt-fake';

/**
 * Starts a fake OpenAI / Azure OpenAI upstream on 127.0.0.1.
 * Serves `POST .../chat/completions` and `POST .../responses` under any prefix (`/v1`, `/openai/v1`,
 * Azure classic `/openai/deployments/{d}` which, like Azure, needs `?api-version=`), and
 * `GET .../models`. Answers JSON, or SSE when the body has `"stream": true`.
 */
export async function startOpenAiUpstream(
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const stream = createStreamControl(options);
  const pieces = options.chunks ?? DEFAULT_CHUNKS;

  const server = await startFakeServer(
    async (request, res) => {
      const path = pathOf(request.url);
      res.setHeader('x-request-id', fakeId('req_'));
      if (options.authorize && !options.authorize(request)) {
        return sendError(
          res,
          401,
          'Incorrect API key provided.',
          'invalid_request_error',
          'invalid_api_key',
        );
      }
      const deployment = /^\/openai\/deployments\/([^/]+)\//.exec(path)?.[1];
      if (
        deployment !== undefined &&
        !new URLSearchParams(request.url.slice(path.length)).has('api-version')
      ) {
        // What Azure answers to a classic deployment path without api-version.
        return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } });
      }
      if (request.method === 'GET' && path.endsWith('/models')) {
        return sendJson(res, 200, {
          object: 'list',
          data: [
            { id: DEFAULT_OPENAI_MODEL, object: 'model', created: 0, owned_by: 'keyless-fake' },
          ],
        });
      }
      const isChat = path.endsWith('/chat/completions');
      const isResponses = path.endsWith('/responses');
      if (request.method !== 'POST' || (!isChat && !isResponses)) {
        return sendError(
          res,
          404,
          `Unknown request URL: ${request.method} ${path}.`,
          'invalid_request_error',
          'unknown_url',
        );
      }
      const body = jsonBody(request);
      if (!body) {
        return sendError(
          res,
          400,
          'We could not parse the JSON body of your request.',
          'invalid_request_error',
          null,
        );
      }
      const reply: FakeReply = {
        model: deployment ?? (typeof body.model === 'string' ? body.model : DEFAULT_OPENAI_MODEL),
        pieces,
        inputTokens: tokensOf(request.body),
      };
      if (body.stream !== true) {
        return sendJson(res, 200, isChat ? chatCompletion(reply) : response(reply, 'completed'));
      }
      const events = isChat
        ? chatCompletionEvents(reply, includeUsage(body))
        : responseEvents(reply);
      await stream.write(res, SSE_HEADERS, sseChunks(events));
    },
    { tls: options.tls },
  );
  return { ...server, stream };
}

function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
): void {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options as { include_usage?: unknown } | undefined;
  return options?.include_usage === true;
}

function usage(reply: FakeReply) {
  const completion = reply.pieces.length;
  return {
    prompt_tokens: reply.inputTokens,
    completion_tokens: completion,
    total_tokens: reply.inputTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A `chat.completion` object. */
function chatCompletion(reply: FakeReply) {
  return {
    id: fakeId('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    system_fingerprint: 'fp_keyless_fake',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.pieces.join(''),
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usage(reply),
    service_tier: 'default',
  };
}

/** `chat.completion.chunk` events: role, one per piece, finish, optional usage, then `[DONE]`. */
function chatCompletionEvents(reply: FakeReply, withUsage: boolean): SseEvent[] {
  const base = {
    id: fakeId('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    system_fingerprint: 'fp_keyless_fake',
    service_tier: 'default',
  };
  const chunk = (delta: object, finish: string | null) => ({
    data: {
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    },
  });
  return [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...reply.pieces.map((content) => chunk({ content }, null)),
    chunk({}, 'stop'),
    ...(withUsage ? [{ data: { ...base, choices: [], usage: usage(reply) } }] : []),
    { data: '[DONE]' },
  ];
}

/** A Responses API `response` object in the given state. */
function response(reply: FakeReply, status: 'in_progress' | 'completed', ids = responseIds()) {
  const completed = status === 'completed';
  const text = reply.pieces.join('');
  return {
    id: ids.response,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: reply.model,
    output: completed ? [messageItem(ids.message, text, 'completed')] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: completed
      ? {
          input_tokens: reply.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: reply.pieces.length,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: reply.inputTokens + reply.pieces.length,
        }
      : null,
    user: null,
    metadata: {},
  };
}

function responseIds() {
  return { response: fakeId('resp_'), message: fakeId('msg_') };
}

function messageItem(id: string, text: string, status: 'in_progress' | 'completed') {
  const content =
    status === 'completed' ? [{ type: 'output_text', text, annotations: [], logprobs: [] }] : [];
  return { id, type: 'message', status, role: 'assistant', content };
}

/** The Responses API event sequence of one text answer, from `response.created` to `response.completed`. */
function responseEvents(reply: FakeReply): SseEvent[] {
  const ids = responseIds();
  const text = reply.pieces.join('');
  const at = { item_id: ids.message, output_index: 0, content_index: 0 };
  const part = (value: string) => ({
    type: 'output_text',
    text: value,
    annotations: [],
    logprobs: [],
  });
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: response(reply, 'in_progress', ids) },
    { type: 'response.in_progress', response: response(reply, 'in_progress', ids) },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: messageItem(ids.message, '', 'in_progress'),
    },
    { type: 'response.content_part.added', ...at, part: part('') },
    ...reply.pieces.map((delta) => ({
      type: 'response.output_text.delta',
      ...at,
      delta,
      logprobs: [],
    })),
    { type: 'response.output_text.done', ...at, text, logprobs: [] },
    { type: 'response.content_part.done', ...at, part: part(text) },
    {
      type: 'response.output_item.done',
      output_index: 0,
      item: messageItem(ids.message, text, 'completed'),
    },
    { type: 'response.completed', response: response(reply, 'completed', ids) },
  ];
  return events.map((event, sequence_number) => ({
    event: event.type as string,
    data: { ...event, sequence_number },
  }));
}
