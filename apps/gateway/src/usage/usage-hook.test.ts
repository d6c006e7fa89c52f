import { describe, expect, it } from 'vitest';
import type { ProxiedRequest } from '../proxy/request-hooks.ts';
import { createUsageHook } from './usage-hook.ts';
import type { UsageRecord } from './usage-record.ts';

const REQUEST: ProxiedRequest = {
  route: 'copilot',
  flavor: 'anthropic',
  method: 'POST',
  path: '/v1/messages?beta=true',
  headers: { 'x-request-id': 'agent-42', 'x-api-key': 'placeholder' },
  body: Buffer.from('{"model":"claude-haiku-4-5","messages":[]}'),
  websocket: false,
  startedAt: 1_000,
};
const MESSAGE = Buffer.from(
  '{"type":"message","model":"claude-haiku-4-5-20251001","usage":{"input_tokens":7,"output_tokens":3,"cache_read_input_tokens":2}}',
);
const JSON_ANSWER = { status: 200, headers: { 'content-type': 'application/json' } };

function hook(now = () => 1_250) {
  const records: UsageRecord[] = [];
  const errors: unknown[] = [];
  const usageHook = createUsageHook({
    sinks: [(record) => records.push(record)],
    onError: (error) => errors.push(error),
    now,
  });
  return { usageHook, records, errors };
}

/** Lets the tap's end (a promise) settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the usage hook', () => {
  it('emits one record when a model answer ends, with the request model, bytes and duration', async () => {
    const { usageHook, records } = hook();
    const observer = usageHook.onAnswer!(REQUEST, JSON_ANSWER)!;
    observer.data(MESSAGE.subarray(0, 10));
    observer.data(MESSAGE.subarray(10));
    observer.end(true);
    await settle();
    expect(records).toEqual([
      {
        requestId: 'agent-42',
        route: 'copilot',
        flavor: 'anthropic',
        model: 'claude-haiku-4-5',
        path: '/v1/messages',
        status: 200,
        streaming: false,
        usage: { input: 7, output: 3, cacheRead: 2, cacheWrite: 0 },
        reported: true,
        durationMs: 250,
        responseBytes: MESSAGE.length,
        endedAt: 1_250,
      },
    ]);
  });

  it('records a cut answer with what it reported', async () => {
    const { usageHook, records } = hook();
    const observer = usageHook.onAnswer!(REQUEST, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    })!;
    observer.data(
      Buffer.from(
        'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":9,"output_tokens":1}}}\n\nevent: content_block_delta\ndata: {"ty',
      ),
    );
    observer.end(false);
    await settle();
    expect(records[0]).toMatchObject({
      streaming: true,
      usage: { input: 9, output: 1 },
      reported: true,
    });
  });

  it('leaves error answers and calls that are no model call alone', () => {
    const { usageHook } = hook();
    expect(usageHook.onAnswer!(REQUEST, { ...JSON_ANSWER, status: 429 })).toBeUndefined();
    expect(usageHook.onAnswer!({ ...REQUEST, path: '/v1/models' }, JSON_ANSWER)).toBeUndefined();
  });

  it('makes up a request id when the client sent none or an odd one', async () => {
    const { usageHook, records } = hook();
    for (const id of [undefined, 'has spaces and "quotes"', 'x'.repeat(200)]) {
      const observer = usageHook.onAnswer!(
        { ...REQUEST, headers: id === undefined ? {} : { 'x-request-id': id } },
        JSON_ANSWER,
      )!;
      observer.end(true);
    }
    await settle();
    for (const record of records) expect(record.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(records).toHaveLength(3);
  });

  it('hands a throwing sink to onError and still feeds the other sinks', async () => {
    const seen: UsageRecord[] = [];
    const errors: unknown[] = [];
    const usageHook = createUsageHook({
      sinks: [
        () => {
          throw new Error('sink broke');
        },
        (record) => seen.push(record),
      ],
      onError: (error) => errors.push(error),
    });
    usageHook.onAnswer!(REQUEST, JSON_ANSWER)!.end(true);
    await settle();
    expect(seen).toHaveLength(1);
    expect(String(errors[0])).toContain('sink broke');
  });
});
