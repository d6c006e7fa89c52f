import type http from 'node:http';
import { anthropicMessage, anthropicMessageEvents, sendAnthropicError } from './anthropic.ts';
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
} from './sse.ts';

// Matched against the raw request path, so `@` and `:` must arrive exactly as clients send them
// (an encoded `%3A` before the method does not match and gets 404).
/** Vertex publisher models, optionally under a base path: `/v1/projects/{p}/locations/{l}/publishers/{pub}/models/{m}:{method}`. */
const VERTEX_PATH =
  /\/v1[a-z0-9]*\/(?:projects\/[^/]+\/locations\/[^/]+\/)?publishers\/(google|anthropic)\/models\/([^/:]+):([A-Za-z]+)$/;
/** Gemini API models: `/v1beta/models/{m}:{method}`. */
const GEMINI_PATH = /\/v1[a-z0-9]*\/models\/([^/:]+):([A-Za-z]+)$/;

/** The `anthropic_version` Vertex requires in the body of Claude requests. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * Starts a fake Google upstream on 127.0.0.1 serving both the Gemini API
 * (`/v1beta/models/{m}:generateContent`, `:streamGenerateContent` with `?alt=sse` as SSE or else as a
 * streamed JSON array, `:countTokens`) and Vertex AI (the same methods under
 * `/v1/projects/{p}/locations/{l}/publishers/google/models/{m}`, plus Claude through
 * `/publishers/anthropic/models/{m}@{v}:rawPredict` (message JSON) and `:streamRawPredict` (Anthropic SSE)).
 */
export async function startGoogleUpstream(
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const stream = createStreamControl(options);
  const pieces = options.chunks ?? DEFAULT_CHUNKS;

  const server = await startFakeServer(
    async (request, res) => {
      const path = pathOf(request.url);
      const vertex = VERTEX_PATH.exec(path);
      const gemini = vertex ? null : GEMINI_PATH.exec(path);
      const publisher = vertex?.[1] ?? 'google';
      const model = vertex?.[2] ?? gemini?.[1];
      const method = vertex?.[3] ?? gemini?.[2];
      const isClaude = publisher === 'anthropic';

      if (options.authorize && !options.authorize(request)) {
        return isClaude
          ? sendAnthropicError(res, 401, 'authentication_error', 'invalid credentials')
          : sendGoogleError(
              res,
              401,
              'Request had invalid authentication credentials.',
              'UNAUTHENTICATED',
            );
      }
      if (request.method !== 'POST' || model === undefined || method === undefined) {
        return sendGoogleError(
          res,
          404,
          `Method not found: ${request.method} ${path}`,
          'NOT_FOUND',
        );
      }
      const body = jsonBody(request);
      if (!body)
        return sendGoogleError(res, 400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
      const reply: FakeReply = { model, pieces, inputTokens: tokensOf(request.body) };

      if (isClaude) {
        if (method !== 'rawPredict' && method !== 'streamRawPredict') {
          return sendGoogleError(res, 404, `Unknown method ${method}`, 'NOT_FOUND');
        }
        if (body.anthropic_version !== VERTEX_ANTHROPIC_VERSION) {
          return sendAnthropicError(
            res,
            400,
            'invalid_request_error',
            'anthropic_version: Field required',
          );
        }
        if (method === 'rawPredict') return sendJson(res, 200, anthropicMessage(reply));
        return stream.write(res, SSE_HEADERS, sseChunks(anthropicMessageEvents(reply)));
      }

      switch (method) {
        case 'generateContent':
          return sendJson(res, 200, generateContentResponse(reply, reply.pieces.join(''), true));
        case 'countTokens':
          return sendJson(res, 200, { totalTokens: reply.inputTokens });
        case 'streamGenerateContent': {
          const responses = reply.pieces.map((text, index) =>
            generateContentResponse(reply, text, index === reply.pieces.length - 1),
          );
          const alt = new URLSearchParams(request.url.slice(path.length)).get('alt');
          if (alt === 'sse') {
            const events = responses.map((data) => ({ data }));
            return stream.write(res, SSE_HEADERS, sseChunks(events, '\r\n'));
          }
          // Without alt=sse Google streams one JSON array, element by element.
          const parts = responses.map(
            (r, index) => `${index === 0 ? '[' : ',\r\n'}${JSON.stringify(r)}`,
          );
          return stream.write(res, { 'content-type': 'application/json; charset=UTF-8' }, [
            ...parts,
            ']',
          ]);
        }
        default:
          return sendGoogleError(res, 404, `Unknown method ${method}`, 'NOT_FOUND');
      }
    },
    { tls: options.tls },
  );
  return { ...server, stream };
}

/** Writes an error in the Google API shape. */
function sendGoogleError(
  res: http.ServerResponse,
  code: number,
  message: string,
  status: string,
): void {
  sendJson(res, code, { error: { code, message, status } });
}

/** A `GenerateContentResponse` carrying `text`; the last one of a stream has finishReason and full usage. */
function generateContentResponse(reply: FakeReply, text: string, last: boolean) {
  const output = reply.pieces.length;
  return {
    candidates: [
      {
        content: { role: 'model', parts: [{ text }] },
        ...(last ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: reply.inputTokens,
      ...(last ? { candidatesTokenCount: output } : {}),
      totalTokenCount: reply.inputTokens + (last ? output : 0),
    },
    modelVersion: reply.model,
    responseId: fakeId(''),
  };
}
