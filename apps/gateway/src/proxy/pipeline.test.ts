import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  Redactor,
  createCredentialMetrics,
  type Attachment,
  type OutgoingRequest,
  type RouteCredential,
} from '@keyless/auth-core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FLAVORS } from '../config/flavors.ts';
import type { RouteConfig } from '../config/gateway-config.ts';
import { createGatewayMetrics } from '../server/gateway-metrics.ts';
import {
  CLASSIFY_PREFIX_BYTES,
  RoutePipeline,
  type ForwardTrace,
  type SendUpstream,
  type UpstreamAnswer,
} from './pipeline.ts';
import { observeBody, type RequestHook } from './request-hooks.ts';
import { maskOf } from './secret-matcher.ts';

const TOKENS = ['federated-token-generation-1', 'federated-token-generation-2'];

/** A renewable credential whose generation moves on with every renewal. */
function fakeCredential() {
  const calls = { attach: 0, renew: [] as number[] };
  let generation = 1;
  const credential: RouteCredential = {
    provider: 'fake',
    auth: 'github-oidc',
    signsBody: false,
    renewable: true,
    async attach(request: OutgoingRequest): Promise<Attachment> {
      calls.attach++;
      request.headers.authorization = `Bearer ${TOKENS[generation - 1]}`;
      return { generation, acquiredAt: 1_000 };
    },
    async renew(attachment) {
      calls.renew.push(attachment.generation);
      generation = attachment.generation + 1;
    },
    status: () => ({ state: 'ready' }),
    start() {},
    close() {},
  };
  return { credential, calls };
}

const route: RouteConfig = {
  name: 'openai',
  port: 10000,
  portSetting: 'KEYLESS_OPENAI_PORT',
  upstream: { origin: 'https://llm.example', basePath: '' },
  flavor: FLAVORS.openai,
  auth: { kind: 'static', variable: 'X', key: 'k', header: 'authorization', value: 'k' },
  extraHeaders: { 'copilot-integration-id': 'agentic-workflows' },
};

function pipelineWith(
  credential: RouteCredential,
  hooks: RequestHook[] = [],
  registry = new Registry(),
) {
  const redactor = new Redactor();
  for (const token of TOKENS) redactor.register(token);
  return new RoutePipeline(route, credential, {
    logger: pino({ level: 'silent' }),
    redactor,
    credentialMetrics: createCredentialMetrics(registry),
    metrics: createGatewayMetrics(registry),
    clientKey: undefined,
    hooks,
  });
}

/** How many upstream latencies `registry` observed for the test route. */
async function latencyCount(registry: Registry): Promise<number> {
  const text = await registry.getSingleMetricAsString('keyless_upstream_latency_seconds');
  return Number(/_count\{route="openai"\} (\d+)/.exec(text)?.[1] ?? 0);
}

function answer(status: number, body: string | Buffer, headers = {}): UpstreamAnswer {
  return { status, headers, body: Readable.from([Buffer.from(body)]) };
}

/** A send that answers from a script and records what it was sent. */
function scripted(...answers: (() => UpstreamAnswer)[]) {
  const sent: OutgoingRequest[] = [];
  const bodies: (Buffer | undefined)[] = [];
  const send: SendUpstream = async (request, body) => {
    sent.push(request);
    bodies.push(body);
    const next = answers.shift();
    if (!next) throw new Error('no more answers scripted');
    return next();
  };
  return { send, sent, bodies };
}

const request = {
  method: 'POST',
  path: '/v1/x',
  headers: { authorization: 'Bearer client' },
  websocket: false,
};

async function forward(
  pipeline: RoutePipeline,
  send: SendUpstream,
  signal = new AbortController().signal,
) {
  const trace: ForwardTrace = { replayed: false };
  const result = await pipeline.forward(request, send, signal, trace);
  return { result, trace };
}

describe('RoutePipeline.forward', () => {
  it('sends once with the credential, the route headers and not the client key', async () => {
    const { credential, calls } = fakeCredential();
    const { send, sent } = scripted(() => answer(200, '{"ok":true}'));
    const { result, trace } = await forward(pipelineWith(credential), send);
    expect(result.kind).toBe('answer');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers).toMatchObject({
      authorization: `Bearer ${TOKENS[0]}`,
      host: 'llm.example',
      'copilot-integration-id': 'agentic-workflows',
    });
    expect(calls).toEqual({ attach: 1, renew: [] });
    expect(trace).toEqual({ replayed: false, upstreamStatus: 200, credentialAcquiredAt: 1_000 });
  });

  it('renews and replays exactly once on 401, and relays the replayed answer', async () => {
    const { credential, calls } = fakeCredential();
    const { send, sent } = scripted(
      () => answer(401, 'no'),
      () => answer(401, '{"still":"no"}'),
    );
    const { result, trace } = await forward(pipelineWith(credential), send);
    expect(sent.map((r) => r.headers.authorization)).toEqual(TOKENS.map((t) => `Bearer ${t}`));
    expect(calls.renew).toEqual([1]);
    expect(trace.replayed).toBe(true);
    expect(result.kind === 'answer' && result.answer.status).toBe(401);
    expect(result.kind === 'answer' && (await text(result.answer.body))).toBe('{"still":"no"}');
  });

  it('replays a 403 that says the token expired, and relays any other 403 whole', async () => {
    const expired = fakeCredential();
    const first = scripted(
      () => answer(403, '{"message":"The security token included in the request is expired"}'),
      () => answer(200, 'ok'),
    );
    expect((await forward(pipelineWith(expired.credential), first.send)).trace.replayed).toBe(true);

    const denied = fakeCredential();
    const big = `{"message":"not authorized to use this model","pad":"${'x'.repeat(3 * CLASSIFY_PREFIX_BYTES)}"}`;
    const second = scripted(() => answer(403, big));
    const { result, trace } = await forward(pipelineWith(denied.credential), second.send);
    expect(trace.replayed).toBe(false);
    expect(denied.calls.renew).toEqual([]);
    expect(result.kind === 'answer' && (await text(result.answer.body))).toBe(big);
  });

  it('classifies from a bounded prefix: wording past it does not count', async () => {
    const { credential, calls } = fakeCredential();
    const late = `{"pad":"${'x'.repeat(CLASSIFY_PREFIX_BYTES)}","message":"token expired"}`;
    const { send } = scripted(() => answer(403, late));
    const { result } = await forward(pipelineWith(credential), send);
    expect(calls.renew).toEqual([]);
    expect(result.kind === 'answer' && (await text(result.answer.body)).length).toBe(late.length);
  });

  it('ends a large rejection it drops: the source is destroyed before the replay', async () => {
    const { credential } = fakeCredential();
    const rejection = new PassThrough();
    const { send } = scripted(
      () => {
        // Larger than the classification prefix and never ended: an open upstream socket.
        rejection.write(`{"error":"${'x'.repeat(CLASSIFY_PREFIX_BYTES)}`);
        return { status: 401, headers: {}, body: rejection };
      },
      () => answer(200, 'ok'),
    );
    const { result, trace } = await forward(pipelineWith(credential), send);
    expect(trace.replayed).toBe(true);
    expect(result.kind === 'answer' && result.answer.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejection.destroyed).toBe(true);
  });

  it('ends a large rejection when the client went away while it was read', async () => {
    const { credential, calls } = fakeCredential();
    const rejection = new PassThrough();
    const client = new AbortController();
    const { send } = scripted(() => {
      client.abort();
      rejection.write(`{"error":"${'x'.repeat(CLASSIFY_PREFIX_BYTES)}`);
      return { status: 401, headers: {}, body: rejection };
    });
    const { result } = await forward(pipelineWith(credential), send, client.signal);
    expect(result.kind).toBe('aborted');
    expect(calls.renew).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejection.destroyed).toBe(true);
  });

  it('records the upstream latency of every request sent, the replay included', async () => {
    const registry = new Registry();
    const { send } = scripted(
      () => answer(401, 'no'),
      () => answer(200, 'ok'),
    );
    await forward(pipelineWith(fakeCredential().credential, [], registry), send);
    expect(await latencyCount(registry)).toBe(2);
  });

  it('never renews a static credential', async () => {
    const { credential, calls } = fakeCredential();
    const { send, sent } = scripted(() => answer(401, 'no'));
    await forward(pipelineWith({ ...credential, renewable: false }), send);
    expect(sent).toHaveLength(1);
    expect(calls.renew).toEqual([]);
  });

  it('renews nothing when the client goes away while the rejection is read', async () => {
    const { credential, calls } = fakeCredential();
    const body = new PassThrough();
    const client = new AbortController();
    const { send } = scripted(() => ({ status: 401, headers: {}, body }));
    const pending = forward(pipelineWith(credential), send, client.signal);
    body.write('partial');
    client.abort();
    body.end();
    expect((await pending).result.kind).toBe('aborted');
    expect(calls.renew).toEqual([]);
  });

  it('answers 502 when the upstream cuts a rejection body, 504 on a timeout', async () => {
    const cut = new PassThrough();
    const { send } = scripted(() => ({ status: 401, headers: {}, body: cut }));
    const pending = forward(pipelineWith(fakeCredential().credential), send);
    setImmediate(() => cut.destroy(new Error('socket hang up')));
    const { result } = await pending;
    expect(result.kind === 'error' && result.error.status).toBe(502);

    const timeout = Object.assign(new Error('Headers Timeout Error'), {
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    const failing: SendUpstream = async () => {
      throw timeout;
    };
    const timedOut = await forward(pipelineWith(fakeCredential().credential), failing);
    expect(timedOut.result.kind === 'error' && timedOut.result.error.status).toBe(504);
  });

  it('scrubs the credential out of reflected headers and bodies', async () => {
    const { credential } = fakeCredential();
    const echo = `{"seen":"Bearer ${TOKENS[0]}","url":"${encodeURIComponent(TOKENS[0]!)}"}`;
    const { send } = scripted(() =>
      answer(200, echo, { 'x-echo-authorization': `Bearer ${TOKENS[0]}` }),
    );
    const { result } = await forward(pipelineWith(credential), send);
    if (result.kind !== 'answer') throw new Error('expected an answer');
    expect(result.answer.headers['x-echo-authorization']).toBe(`Bearer ${maskOf(TOKENS[0]!)}`);
    const relayed = await text(result.answer.body);
    expect(relayed).not.toContain(TOKENS[0]);
    // Same length as the upstream's body: a declared content-length stays true.
    expect(relayed).toHaveLength(echo.length);
  });

  it('answers 503 credential_unavailable when no credential can be attached', async () => {
    const { credential } = fakeCredential();
    const failing = {
      ...credential,
      attach: async () => {
        throw new Error('identity provider down');
      },
    };
    const { send, sent } = scripted();
    const { result } = await forward(pipelineWith(failing), send);
    expect(sent).toHaveLength(0);
    expect(result.kind === 'error' && result.error.status).toBe(503);
    expect(result.kind === 'error' && result.error.headers['retry-after']).toBeDefined();
  });
});

describe('RoutePipeline.admit', () => {
  it('refuses every request of an unconfigured route, naming what configures it', () => {
    const pipeline = new RoutePipeline(
      { ...route, auth: { kind: 'unconfigured', configuredBy: 'OPENAI_API_KEY' } },
      undefined,
      {
        logger: pino({ level: 'silent' }),
        redactor: new Redactor(),
        credentialMetrics: createCredentialMetrics(new Registry()),
        metrics: createGatewayMetrics(new Registry()),
        clientKey: undefined,
        hooks: [],
      },
    );
    const refused = pipeline.admit('/v1/x', {});
    expect(typeof refused !== 'string' && refused.status).toBe(503);
    expect(typeof refused !== 'string' && refused.body).toContain('OPENAI_API_KEY');
  });
});

describe('RoutePipeline hooks', () => {
  it('a hook refuses before anything is attached or sent', async () => {
    const { credential, calls } = fakeCredential();
    const { send, sent } = scripted();
    const hook: RequestHook = {
      beforeSend: () => ({
        refuse: 'rate_limited',
        message: 'slow down',
        headers: { 'retry-after': '7' },
      }),
    };
    const { result } = await forward(pipelineWith(credential, [hook]), send);
    expect(sent).toHaveLength(0);
    expect(calls.attach).toBe(0);
    expect(result.kind === 'error' && result.error.status).toBe(429);
    expect(result.kind === 'error' && result.error.headers['retry-after']).toBe('7');
  });

  it('a hook replaces the body before signing, and observers see the answer bytes', async () => {
    const { credential } = fakeCredential();
    const { send, sent, bodies } = scripted(() => answer(200, 'abcdef'));
    const seen: string[] = [];
    let ended: boolean | undefined;
    const hook: RequestHook = {
      beforeSend: () => ({ body: Buffer.from('{"model":"alias-target"}') }),
      onAnswer: (proxied) => {
        seen.push(`body=${proxied.body?.toString()}`);
        return {
          data: (chunk) => seen.push(chunk.toString()),
          end: (complete) => (ended = complete),
        };
      },
    };
    const { result } = await forward(pipelineWith(credential, [hook]), send);
    expect(sent[0]!.headers['content-length']).toBe('24');
    expect(bodies[0]?.toString()).toBe('{"model":"alias-target"}');
    if (result.kind !== 'answer') throw new Error('expected an answer');
    expect(await text(observeBody(result.answer.body, result.observer))).toBe('abcdef');
    expect(seen[0]).toBe('body={"model":"alias-target"}');
    expect(seen.slice(1).join('')).toBe('abcdef');
    expect(ended).toBe(true);
  });

  it('an observer that throws is dropped; the answer still reaches the client', async () => {
    const { credential } = fakeCredential();
    const { send } = scripted(() => answer(200, 'whole'));
    const hook: RequestHook = {
      onAnswer: () => ({
        data: () => {
          throw new Error('parser bug');
        },
        end: () => {},
      }),
    };
    const { result } = await forward(pipelineWith(credential, [hook]), send);
    if (result.kind !== 'answer') throw new Error('expected an answer');
    expect(await text(observeBody(result.answer.body, result.observer))).toBe('whole');
  });
});
