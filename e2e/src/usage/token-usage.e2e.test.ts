import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeEventFrames,
  startAnthropicUpstream,
  startBedrockRuntime,
  startGoogleUpstream,
  startOpenAiUpstream,
  type BedrockRuntimeFake,
  type FakeUpstream,
} from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { metricSample } from '../harness/metrics.ts';

const BEDROCK_TOKEN = 'bedrock-static-usage-0123456789';
const AWF_VERSION = '0.25.3';
const BEDROCK_MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

/** The api-proxy's validateTokenUsageRecord (containers/api-proxy/token-persistence.js). */
const REQUIRED: [string, string][] = [
  ['_schema', 'string'],
  ['timestamp', 'string'],
  ['event', 'string'],
  ['request_id', 'string'],
  ['provider', 'string'],
  ['model', 'string'],
  ['path', 'string'],
  ['status', 'number'],
  ['streaming', 'boolean'],
  ['input_tokens', 'number'],
  ['output_tokens', 'number'],
  ['cache_read_tokens', 'number'],
  ['cache_write_tokens', 'number'],
  ['duration_ms', 'number'],
];

type TokenRecord = Record<string, unknown>;
/** Answers are read loosely: each call checks only its own fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** One model call: where it goes, and the counts its answer reported as the client read them. */
interface Call {
  readonly id: string;
  readonly route: string;
  readonly path: string;
  readonly body: unknown;
  readonly streaming: boolean;
  readonly model: string;
  /** The counts in the answer the client got: input, output, cache read, cache write. */
  readonly reported: (answer: Buffer) => [number, number, number, number];
}

/** Data of the last SSE event whose data parses and passes `pick`. */
function lastEvent(text: string, pick: (data: Record<string, unknown>) => boolean) {
  const events = text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => {
      try {
        return JSON.parse(line.slice(6)) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })
    .filter((data): data is Record<string, unknown> => data !== undefined && pick(data));
  return events.at(-1) as Loose;
}

const json = (answer: Buffer) => JSON.parse(answer.toString()) as Loose;
const prompt = [{ role: 'user', content: 'How many tokens does this take?' }];

const CALLS: Call[] = [
  {
    id: 'openai-json',
    route: 'openai',
    path: '/v1/chat/completions',
    body: { model: 'gpt-4o', messages: prompt },
    streaming: false,
    model: 'gpt-4o',
    reported: (a) => {
      const { usage } = json(a);
      return [
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.prompt_tokens_details.cached_tokens,
        0,
      ];
    },
  },
  {
    id: 'openai-sse',
    route: 'openai',
    path: '/v1/chat/completions',
    body: {
      model: 'gpt-4o-mini',
      messages: prompt,
      stream: true,
      stream_options: { include_usage: true },
    },
    streaming: true,
    model: 'gpt-4o-mini',
    reported: (a) => {
      const { usage } = lastEvent(a.toString(), (data) => Boolean(data.usage));
      return [
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.prompt_tokens_details.cached_tokens,
        0,
      ];
    },
  },
  {
    id: 'openai-responses-sse',
    route: 'openai',
    path: '/v1/responses',
    body: { model: 'gpt-5-codex', input: 'hi', stream: true },
    streaming: true,
    model: 'gpt-5-codex',
    reported: (a) => {
      const { usage } = lastEvent(
        a.toString(),
        (data) => data.type === 'response.completed',
      ).response;
      return [usage.input_tokens, usage.output_tokens, usage.input_tokens_details.cached_tokens, 0];
    },
  },
  {
    id: 'anthropic-json',
    route: 'anthropic',
    path: '/v1/messages',
    body: { model: 'claude-haiku-4-5', max_tokens: 64, messages: prompt },
    streaming: false,
    model: 'claude-haiku-4-5',
    reported: (a) => {
      const { usage } = json(a);
      return [
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_creation_input_tokens,
      ];
    },
  },
  {
    id: 'anthropic-sse',
    route: 'anthropic',
    path: '/v1/messages',
    body: { model: 'claude-sonnet-4-5', max_tokens: 64, messages: prompt, stream: true },
    streaming: true,
    model: 'claude-sonnet-4-5',
    reported: (a) => {
      const start = lastEvent(a.toString(), (data) => data.type === 'message_start').message.usage;
      const delta = lastEvent(a.toString(), (data) => data.type === 'message_delta').usage;
      return [
        start.input_tokens,
        delta.output_tokens,
        start.cache_read_input_tokens,
        start.cache_creation_input_tokens,
      ];
    },
  },
  {
    id: 'gemini-sse',
    route: 'gemini',
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
    streaming: true,
    model: 'gemini-2.5-flash',
    reported: (a) => {
      const { usageMetadata } = lastEvent(a.toString(), (data) => Boolean(data.usageMetadata));
      return [usageMetadata.promptTokenCount, usageMetadata.candidatesTokenCount ?? 0, 0, 0];
    },
  },
  {
    id: 'bedrock-converse',
    route: 'bedrock',
    path: `/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`,
    body: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    streaming: false,
    model: BEDROCK_MODEL,
    reported: (a) => {
      const { usage } = json(a);
      return [usage.inputTokens, usage.outputTokens, 0, 0];
    },
  },
  {
    id: 'bedrock-converse-stream',
    route: 'bedrock',
    path: `/model/${encodeURIComponent(BEDROCK_MODEL)}/converse-stream`,
    body: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    streaming: true,
    model: BEDROCK_MODEL,
    reported: (a) => {
      const metadata = decodeEventFrames(a).find((f) => f.type === 'metadata')!.payload as Loose;
      return [metadata.usage.inputTokens, metadata.usage.outputTokens, 0, 0];
    },
  },
  {
    id: 'bedrock-invoke-stream',
    route: 'bedrock',
    path: `/model/${encodeURIComponent(BEDROCK_MODEL)}/invoke-with-response-stream`,
    body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: prompt },
    streaming: true,
    model: BEDROCK_MODEL,
    reported: (a) => {
      const events = decodeEventFrames(a).map(
        (f) =>
          JSON.parse(
            Buffer.from((f.payload as { bytes: string }).bytes, 'base64').toString(),
          ) as Loose,
      );
      const metrics = events.find((e) => e.type === 'message_stop')![
        'amazon-bedrock-invocationMetrics'
      ];
      return [metrics.inputTokenCount, metrics.outputTokenCount, 0, 0];
    },
  },
];

describe('token usage of the real gateway against the fakes', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let google: FakeUpstream;
  let bedrock: BedrockRuntimeFake;
  let gateway: GatewayProcess;
  let logDir: string;
  const answers = new Map<string, Buffer>();

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'keyless-token-log-'));
    [openai, anthropic, google, bedrock] = await Promise.all([
      startOpenAiUpstream(),
      startAnthropicUpstream(),
      startGoogleUpstream(),
      startBedrockRuntime({ credentials: [], staticBearerToken: BEDROCK_TOKEN }),
    ]);
    gateway = await startGatewayProcess({
      OPENAI_API_KEY: 'sk-usage-openai-0123456789',
      OPENAI_API_TARGET: openai.url,
      ANTHROPIC_API_KEY: 'sk-ant-usage-0123456789',
      ANTHROPIC_API_TARGET: anthropic.url,
      GEMINI_API_KEY: 'gemini-usage-0123456789',
      GEMINI_API_TARGET: google.url,
      AWS_BEARER_TOKEN_BEDROCK: BEDROCK_TOKEN,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
      AWF_TOKEN_LOG_DIR: join(logDir, 'api-proxy'),
      AWF_VERSION,
    });
    for (const call of CALLS) {
      const res = await fetch(`${gateway.url(call.route)}${call.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': call.id },
        body: JSON.stringify(call.body),
      });
      expect(res.status, call.id).toBe(200);
      answers.set(call.id, Buffer.from(await res.arrayBuffer()));
    }
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([openai?.close(), anthropic?.close(), google?.close(), bedrock?.close()]);
    await rm(logDir, { recursive: true, force: true });
  });

  /** The records written so far, waiting (bounded) until there are `count`. */
  async function records(count: number): Promise<TokenRecord[]> {
    const file = join(logDir, 'api-proxy', 'token-usage.jsonl');
    for (let attempt = 0; ; attempt++) {
      const text = await readFile(file, 'utf8').catch(() => '');
      const lines = text.split('\n').filter(Boolean);
      if (lines.length >= count || attempt === 100)
        return lines.map((line) => JSON.parse(line) as TokenRecord);
      await sleep(20);
    }
  }

  it('writes one line per model call, each valid by the api-proxy rules field by field', async () => {
    const written = await records(CALLS.length);
    expect(written).toHaveLength(CALLS.length);
    for (const record of written) {
      for (const [field, type] of REQUIRED)
        expect(typeof record[field], `${String(record.request_id)} ${field}`).toBe(type);
      expect(record._schema).toBe(`token-usage/v${AWF_VERSION}`);
      expect(record.event).toBe('token_usage');
      expect(Number.isNaN(Date.parse(record.timestamp as string))).toBe(false);
      expect(record.duration_ms as number).toBeGreaterThanOrEqual(0);
      expect(record.response_bytes as number).toBeGreaterThan(0);
    }
  });

  it.each(CALLS.map((call) => [call.id, call] as const))(
    '%s: the counts match what the upstream reported',
    async (_id, call) => {
      const record = (await records(CALLS.length)).find((r) => r.request_id === call.id);
      expect(record).toBeDefined();
      const [input, output, cacheRead, cacheWrite] = call.reported(answers.get(call.id)!);
      expect(input).toBeGreaterThan(0);
      expect(output).toBeGreaterThan(0);
      expect(record).toMatchObject({
        provider: call.route,
        model: call.model,
        path: call.path.split('?')[0],
        status: 200,
        streaming: call.streaming,
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: cacheRead,
        cache_write_tokens: cacheWrite,
        response_bytes: answers.get(call.id)!.length,
      });
    },
  );

  it('shows the token counts on /metrics', async () => {
    const written = await records(CALLS.length);
    const text = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
    for (const call of CALLS) {
      const record = written.find((r) => r.request_id === call.id)!;
      const labels = { route: call.route, model: call.model };
      const sum = (field: string) =>
        written
          .filter((r) => r.provider === call.route && r.model === call.model)
          .reduce((total, r) => total + (r[field] as number), 0);
      expect(
        metricSample(text, 'keyless_tokens_total', { ...labels, kind: 'input' }),
        call.id,
      ).toBe(sum('input_tokens'));
      expect(
        metricSample(text, 'keyless_tokens_total', { ...labels, kind: 'output' }),
        call.id,
      ).toBe(sum('output_tokens'));
      expect(
        metricSample(text, 'keyless_model_requests_total', labels),
        call.id,
      ).toBeGreaterThanOrEqual(1);
      expect(record).toBeDefined();
    }
  });

  it('writes nothing for calls that are no model call', async () => {
    const before = (await records(CALLS.length)).length;
    const models = await fetch(`${gateway.url('openai')}/v1/models`);
    expect(models.status).toBe(200);
    await models.arrayBuffer();
    // A model call after it: its line is the next one, with nothing for the model list in between.
    const call = CALLS[0]!;
    const res = await fetch(`${gateway.url(call.route)}${call.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'after-models' },
      body: JSON.stringify(call.body),
    });
    await res.arrayBuffer();
    const after = await records(before + 1);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)?.request_id).toBe('after-models');
  });
});
