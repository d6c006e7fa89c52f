import type { StackRouteName } from '@keyless/fakes';

/** One request an agent would send to a route: the gateway replaces the placeholder key. */
export interface DemoRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What the answer's content type must contain. */
  readonly contentType: string;
}

/** What the demo shows of a route, and the plain and streaming requests it sends. */
export interface DemoRoute {
  readonly provider: string;
  readonly json: DemoRequest;
  readonly stream: DemoRequest;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const HI = [{ role: 'user', content: 'hi' }];
const GEMINI_HI = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
const SSE = 'text/event-stream';

function pair(
  path: (stream: boolean) => string,
  headers: Record<string, string>,
  body: (stream: boolean) => unknown,
  streamType = SSE,
): Pick<DemoRoute, 'json' | 'stream'> {
  const request = (stream: boolean): DemoRequest => ({
    path: path(stream),
    headers: { ...JSON_TYPE, ...headers },
    body: JSON.stringify(body(stream)),
    contentType: stream ? streamType : 'application/json',
  });
  return { json: request(false), stream: request(true) };
}

const VERTEX_MODEL =
  '/v1/projects/octo-project/locations/us-central1/publishers/google/models/gemini-2.5-flash';
const BEDROCK_MODEL = '/model/anthropic.claude-3-5-sonnet-20240620-v1:0';

const ANTHROPIC_MESSAGES = pair(
  () => '/v1/messages',
  { 'x-api-key': 'placeholder', 'anthropic-version': '2023-06-01' },
  (stream) => ({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: HI, stream }),
);

/** Every route of the fake stack as the demo drives it, with the key an agent holds (a placeholder). */
export const DEMO_ROUTES: Readonly<Record<StackRouteName, DemoRoute>> = {
  openai: {
    provider: 'OpenAI',
    ...pair(
      () => '/v1/chat/completions',
      { authorization: 'Bearer placeholder' },
      (stream) => ({ model: 'gpt-4o-mini', messages: HI, stream }),
    ),
  },
  anthropic: {
    provider: 'Anthropic',
    ...ANTHROPIC_MESSAGES,
  },
  'anthropic-federated': {
    provider: 'Anthropic',
    ...ANTHROPIC_MESSAGES,
  },
  'azure-openai': {
    provider: 'Azure OpenAI',
    ...pair(
      () => '/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
      { 'api-key': 'placeholder' },
      (stream) => ({ messages: HI, stream }),
    ),
  },
  gemini: {
    provider: 'Gemini',
    ...pair(
      (stream) =>
        `/v1beta/models/gemini-2.5-flash:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      { 'x-goog-api-key': 'placeholder' },
      () => GEMINI_HI,
    ),
  },
  vertex: {
    provider: 'Vertex AI',
    ...pair(
      (stream) => `${VERTEX_MODEL}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      { authorization: 'Bearer placeholder' },
      () => GEMINI_HI,
    ),
  },
  bedrock: {
    provider: 'Bedrock',
    ...pair(
      (stream) => `${BEDROCK_MODEL}/${stream ? 'converse-stream' : 'converse'}`,
      {},
      () => ({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      'application/vnd.amazon.eventstream',
    ),
  },
};
