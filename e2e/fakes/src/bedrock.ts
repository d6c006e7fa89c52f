import { randomUUID, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENTSTREAM_CONTENT_TYPE, encodeEventFrame } from './eventstream.ts';
import { pathOf, startFakeServer } from './fake-server.ts';
import type { FakeServer, FakeServerOptions } from './fake-server.ts';
import { headerPairs, verifySigV4 } from './sigv4-verifier.ts';
import type { CredentialLookup, KnownCredential, SigV4FailureReason } from './sigv4-verifier.ts';

/** The four Bedrock runtime operations the fake serves. */
export type BedrockOperation =
  'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';

export interface BedrockRuntimeOptions extends FakeServerOptions {
  /** Known keys: a list read at request time (e.g. the STS fake's `issued`) or a lookup. */
  readonly credentials: readonly KnownCredential[] | CredentialLookup;
  /** `AWS_BEARER_TOKEN_BEDROCK`: accept `Authorization: Bearer <it>` instead of SigV4. */
  readonly staticBearerToken?: string;
  /** Region of the credential scope (default `us-east-1`). */
  readonly region?: string;
  /** Clock for the signature date and token expiry, ms epoch. */
  readonly now?: () => number;
  /** Text of every answer (default `DEFAULT_BEDROCK_REPLY`). */
  readonly reply?: string;
  /** Pause between stream frames, ms (default 0: frames are still written one by one). */
  readonly frameDelayMs?: number;
}

/** A request that passed authentication. */
export interface BedrockCall {
  readonly operation: BedrockOperation;
  /** Model id decoded once from the path, e.g. `anthropic.claude-3-5-sonnet-20240620-v1:0`. */
  readonly modelId: string;
  /** Path exactly as received (`:` raw or `%3A`). */
  readonly rawPath: string;
  readonly auth: 'sigv4' | 'bearer';
  readonly accessKeyId?: string;
  /** Parsed JSON request body. */
  readonly body: unknown;
}

/** A request refused before reaching an operation. */
export interface BedrockRejection {
  readonly status: number;
  readonly code: string;
  /** The verifier's finer reason, for SigV4 failures. */
  readonly reason?: SigV4FailureReason | 'injected';
  readonly message: string;
  readonly target: string;
}

export interface BedrockRuntimeFake extends FakeServer {
  readonly calls: BedrockCall[];
  readonly rejections: BedrockRejection[];
  /** Answers the next `times` (default 1) requests with 403 ExpiredTokenException, for replay tests. */
  expireNext(times?: number): void;
}

/** Text the fake answers with unless configured. */
export const DEFAULT_BEDROCK_REPLY = 'Hello from the fake Bedrock runtime.';
/** Token counts the fake reports. */
export const FAKE_INPUT_TOKENS = 12;

const OPERATION_PATH =
  /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;
// Foundation model ids, inference profiles and ARNs; a `%` left after one decode means double encoding.
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9.:/_-]{0,2047}$/;
const EXPIRED_MESSAGE = 'The security token included in the request is expired';

/** Starts a fake Bedrock runtime that verifies SigV4 (service `bedrock`) independently. */
export async function startBedrockRuntime(
  options: BedrockRuntimeOptions,
): Promise<BedrockRuntimeFake> {
  const region = options.region ?? 'us-east-1';
  const reply = options.reply ?? DEFAULT_BEDROCK_REPLY;
  const source = options.credentials;
  const lookup: CredentialLookup =
    typeof source === 'function' ? source : (id) => source.find((c) => c.accessKeyId === id);
  const calls: BedrockCall[] = [];
  const rejections: BedrockRejection[] = [];
  let expireBudget = 0;

  const reject = (
    res: http.ServerResponse,
    target: string,
    rejection: Omit<BedrockRejection, 'target'>,
  ) => {
    rejections.push({ ...rejection, target });
    sendAwsError(res, rejection.status, rejection.code, rejection.message);
  };

  const server = await startFakeServer(async (request, res, raw) => {
    const target = request.url;
    if (expireBudget > 0) {
      expireBudget -= 1;
      reject(res, target, {
        status: 403,
        code: 'ExpiredTokenException',
        reason: 'injected',
        message: EXPIRED_MESSAGE,
      });
      return;
    }

    let auth: BedrockCall['auth'] = 'sigv4';
    let accessKeyId: string | undefined;
    const authorization = request.headers.authorization ?? '';
    if (/^bearer /i.test(authorization)) {
      auth = 'bearer';
      if (!sameSecret(authorization.slice(7).trim(), options.staticBearerToken)) {
        reject(res, target, {
          status: 403,
          code: 'UnrecognizedClientException',
          message: 'Authentication failed: Please make sure your API Key is valid.',
        });
        return;
      }
    } else {
      const verdict = verifySigV4(
        {
          method: request.method,
          target,
          headers: headerPairs(raw.rawHeaders),
          body: request.body,
        },
        { service: 'bedrock', region, credentials: lookup, now: options.now },
      );
      if (!verdict.ok) {
        reject(res, target, {
          status: 403,
          code: verdict.code,
          reason: verdict.reason,
          message: verdict.message,
        });
        return;
      }
      accessKeyId = verdict.accessKeyId;
    }

    const match = OPERATION_PATH.exec(pathOf(target));
    if (request.method !== 'POST' || !match) {
      sendAwsError(
        res,
        404,
        'UnknownOperationException',
        'Unknown operation',
        'com.amazon.coral.service',
      );
      return;
    }
    const rawPath = pathOf(target);
    const operation = match[2] as BedrockOperation;
    const modelId = decodeOnce(match[1]!);
    if (modelId === undefined || !MODEL_ID.test(modelId)) {
      sendAwsError(res, 400, 'ValidationException', 'The provided model identifier is invalid.');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      sendAwsError(
        res,
        400,
        'ValidationException',
        'Malformed input request, please reformat your input and try again.',
      );
      return;
    }
    const isConverse = operation.startsWith('converse');
    if (isConverse && !Array.isArray((body as { messages?: unknown } | null)?.messages)) {
      sendAwsError(
        res,
        400,
        'ValidationException',
        'The model returned the following errors: messages: Field required',
      );
      return;
    }
    calls.push({ operation, modelId, rawPath, auth, accessKeyId, body });

    const pieces = reply.split(/(?<= )/);
    const requestId = randomUUID();
    if (operation === 'converse') {
      sendJson(res, requestId, converseAnswer(reply, pieces.length));
    } else if (operation === 'invoke') {
      res.setHeader('x-amzn-bedrock-input-token-count', String(FAKE_INPUT_TOKENS));
      res.setHeader('x-amzn-bedrock-output-token-count', String(pieces.length));
      sendJson(res, requestId, anthropicMessage(modelId, reply, pieces.length));
    } else {
      res.writeHead(200, {
        'content-type': EVENTSTREAM_CONTENT_TYPE,
        'x-amzn-requestid': requestId,
        ...(isConverse ? {} : { 'x-amzn-bedrock-content-type': 'application/json' }),
      });
      const events = isConverse
        ? converseStreamEvents(pieces)
        : invokeStreamEvents(modelId, pieces);
      for (const [type, payload] of events) {
        res.write(encodeEventFrame(type, payload));
        if (options.frameDelayMs) await sleep(options.frameDelayMs);
      }
      res.end();
    }
  }, options);

  return {
    ...server,
    calls,
    rejections,
    expireNext(times = 1) {
      expireBudget += times;
    },
  };
}

/** An AWS restJson1 error: JSON `{message}` and the code in `x-amzn-errortype`, as the SDK reads it. */
function sendAwsError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  namespace = status === 403 ? 'com.amazon.coral.service' : 'com.amazon.bedrock',
): void {
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/${namespace}/`,
    })
    .end(JSON.stringify({ message }));
}

function sendJson(res: http.ServerResponse, requestId: string, body: unknown): void {
  res
    .writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId })
    .end(JSON.stringify(body));
}

function converseAnswer(text: string, outputTokens: number) {
  return {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: 'end_turn',
    usage: {
      inputTokens: FAKE_INPUT_TOKENS,
      outputTokens,
      totalTokens: FAKE_INPUT_TOKENS + outputTokens,
    },
    metrics: { latencyMs: 42 },
  };
}

// Real frames carry a random-length `p` padding member (hides payload sizes); clients must ignore it.
const pad = (n: number) =>
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.slice(0, 1 + (n % 40));

function converseStreamEvents(pieces: readonly string[]): Array<[string, unknown]> {
  return [
    ['messageStart', { p: pad(0), role: 'assistant' }],
    ...pieces.map((text, i): [string, unknown] => [
      'contentBlockDelta',
      { p: pad(i + 1), contentBlockIndex: 0, delta: { text } },
    ]),
    ['contentBlockStop', { p: pad(2), contentBlockIndex: 0 }],
    ['messageStop', { p: pad(3), stopReason: 'end_turn' }],
    [
      'metadata',
      {
        p: pad(4),
        usage: {
          inputTokens: FAKE_INPUT_TOKENS,
          outputTokens: pieces.length,
          totalTokens: FAKE_INPUT_TOKENS + pieces.length,
        },
        metrics: { latencyMs: 42 },
      },
    ],
  ];
}

/** invoke-with-response-stream: `chunk` events whose `bytes` are base64 Anthropic stream events. */
function invokeStreamEvents(modelId: string, pieces: readonly string[]): Array<[string, unknown]> {
  const start = anthropicMessage(modelId, '', 1);
  const events: unknown[] = [
    { type: 'message_start', message: { ...start, content: [], stop_reason: null } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ...pieces.map((text) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: pieces.length },
    },
    {
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: FAKE_INPUT_TOKENS,
        outputTokenCount: pieces.length,
        invocationLatency: 42,
        firstByteLatency: 10,
      },
    },
  ];
  return events.map((event, i) => [
    'chunk',
    { bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: pad(i) },
  ]);
}

function anthropicMessage(modelId: string, text: string, outputTokens: number) {
  return {
    id: `msg_bdrk_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    type: 'message',
    role: 'assistant',
    model: modelId.replace(/^(?:[a-z]{2,4}\.)?anthropic\./, '').replace(/-v\d+(?::\d+)?$/, ''),
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: outputTokens },
  };
}

function decodeOnce(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function sameSecret(sent: string, expected: string | undefined): boolean {
  if (expected === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
