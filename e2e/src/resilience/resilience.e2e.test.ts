import net from 'node:net';
import { startOpenAiUpstream, type FakeUpstream } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startEngineRig, type EngineRig } from '../engine/engine-rig.ts';
import { rawRequest } from '../gateway/raw-http.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { metricSample } from '../harness/metrics.ts';
import { outboundSockets, peakRssMiB } from '../harness/process-sockets.ts';
import {
  HOSTILE_PATHS as P,
  WEBSOCKET_MESSAGES,
  startHostileUpstream,
  type HostileUpstream,
} from './hostile-upstream.ts';

/** What the suite did, printed at the end (and asserted where it must be zero). */
const figures = {
  hostileInputs: 0,
  faultsInjected: 0,
  requestsSent: 0,
  unexpectedFailures: 0,
  /** Over every gateway process of the suite. */
  gatewayRestarts: 0,
  /** Sockets every gateway process opened and still held once idle connections expired. */
  upstreamSocketsLeftOpen: 0,
  /** The largest peak RSS of any gateway process. */
  peakRssMiB: 0,
};

const KEY = 'sk-resilience-0123456789abcdef';
const MiB = 1024 * 1024;
/**
 * The documented bound (docs/operator.md): the body budget (KEYLESS_BUFFER_LIMIT,
 * 64 MiB) on top of an idle gateway, with room to spare under the sidecar's 512 MiB.
 */
const RSS_BOUND_MIB = 400;
/** KEYLESS_BUFFER_LIMIT of the gateway that proves the overload answer: two 600 KiB bodies pass it. */
const TIGHT_BUFFER_LIMIT = MiB;
/** How long idle keep-alive connections may take to close before an open socket counts as left open. */
const SOCKETS_SETTLE_MS = 10_000;

let hostile: HostileUpstream;
let fake: FakeUpstream;
/** Static routes: openai to the hostile upstream, gemini to the fake (short request timeout). */
let gateway: GatewayProcess;
/** Default limits and timeouts, gemini to the fake: the memory bound is measured here. */
let uploads: GatewayProcess;
/** A small KEYLESS_BUFFER_LIMIT, openai to the hostile upstream. */
let tight: GatewayProcess;
let rig: EngineRig;
/** A federated gateway whose openai route goes to the hostile upstream. */
let hostileRig: EngineRig;

/** Every gateway process of the suite. */
function gateways(): GatewayProcess[] {
  return [gateway, uploads, tight, rig?.gateway, hostileRig?.gateway].filter(
    (process): process is GatewayProcess => !!process,
  );
}

function alive(process: GatewayProcess): boolean {
  return process.child.exitCode === null && process.child.signalCode === null;
}

/** Sockets the running gateways opened and still hold, polled until none or `SOCKETS_SETTLE_MS`. */
async function socketsLeftOpen(): Promise<number> {
  const count = () =>
    gateways()
      .filter(alive)
      .reduce((sum, process) => sum + outboundSockets(process.child.pid!), 0);
  const deadline = Date.now() + SOCKETS_SETTLE_MS;
  let open = count();
  while (open > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    open = count();
  }
  return open;
}

async function send(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  figures.requestsSent++;
  try {
    const response = await fetch(url, init);
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    return { status: 0, headers: new Headers(), text: String(error) };
  }
}

/** Opens a WebSocket and resolves with how it ended: `open`, or the refusal's status. */
function handshake(url: string, headers: Record<string, string> = {}): Promise<string> {
  figures.requestsSent++;
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      resolve('open');
      socket.close();
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(String(response.statusCode));
      response.resume();
    });
    socket.once('error', () => resolve('error'));
  });
}

/** An open WebSocket: the messages it received, and how it was closed. */
interface OpenSocket {
  readonly socket: WebSocket;
  readonly messages: string[];
  /** Resolves with the close code once the gateway closed the socket. */
  readonly closed: Promise<number>;
}

/** Opens a WebSocket; rejects unless the handshake succeeds. */
function openSocket(url: string): Promise<OpenSocket> {
  figures.requestsSent++;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(String(data)));
    // Errors end in a close event; only the close is asserted.
    socket.on('error', () => {});
    const closed = new Promise<number>((done) => socket.once('close', (code) => done(code)));
    socket.once('open', () => resolve({ socket, messages, closed }));
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      reject(new Error(`handshake refused with ${response.statusCode}`));
    });
    socket.once('error', reject);
  });
}

/** Status line and headers (names lower-cased, every value kept) of a raw HTTP answer. */
function parseHead(answer: string): {
  status: string;
  headers: Map<string, string[]>;
  body: string;
} {
  const end = answer.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = answer.slice(0, end).split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const at = line.indexOf(':');
    const name = line.slice(0, at).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(at + 1).trim()]);
  }
  return { status: statusLine, headers, body: answer.slice(end + 4) };
}

/** One sample of the static gateway's /metrics, 0 when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gateway.managementUrl}/metrics`)).text();
  return metricSample(text, name, labels) ?? 0;
}

beforeAll(async () => {
  [hostile, fake] = await Promise.all([startHostileUpstream(), startOpenAiUpstream()]);
  [gateway, uploads, tight] = await Promise.all([
    startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: hostile.url,
      GEMINI_API_KEY: KEY,
      GEMINI_API_TARGET: fake.url,
      KEYLESS_REQUEST_TIMEOUT_MS: '3000',
      KEYLESS_UPSTREAM_TIMEOUT_MS: '1500',
    }),
    startGatewayProcess({ GEMINI_API_KEY: KEY, GEMINI_API_TARGET: fake.url }),
    startGatewayProcess({
      OPENAI_API_KEY: KEY,
      OPENAI_API_TARGET: hostile.url,
      KEYLESS_BUFFER_LIMIT: String(TIGHT_BUFFER_LIMIT),
      KEYLESS_UPSTREAM_TIMEOUT_MS: '30000',
    }),
  ]);
  [rig, hostileRig] = await Promise.all([startEngineRig(), startEngineRig()]);
  await Promise.all([
    rig.startGateway(),
    hostileRig.startGateway({ OPENAI_API_TARGET: hostile.url }),
  ]);
}, 60_000);

afterAll(async () => {
  const all = gateways();
  figures.gatewayRestarts = all.filter((process) => !alive(process)).length;
  figures.peakRssMiB = Math.round(
    Math.max(0, ...all.filter(alive).map((process) => peakRssMiB(process.child.pid!))),
  );
  figures.upstreamSocketsLeftOpen = await socketsLeftOpen();
  await Promise.all([gateway?.stop(), uploads?.stop(), tight?.stop()]);
  await Promise.all([rig?.close(), hostileRig?.close()]);
  await Promise.all([hostile?.close(), fake?.close()]);
  process.stdout.write(`\nresilience summary: ${JSON.stringify(figures)}\n`);
  expect(figures.gatewayRestarts).toBe(0);
  expect(figures.upstreamSocketsLeftOpen).toBe(0);
  expect(figures.unexpectedFailures).toBe(0);
  expect(figures.peakRssMiB).toBeLessThan(RSS_BOUND_MIB);
}, SOCKETS_SETTLE_MS + 30_000);

describe('hostile WebSocket handshakes open nothing upstream', () => {
  it.each([
    ['duplicate subprotocols', { 'sec-websocket-protocol': 'a, a' }, 'GET', '13'],
    ['malformed subprotocol', { 'sec-websocket-protocol': 'a b' }, 'GET', '13'],
    ['POST handshake', {}, 'POST', '13'],
    ['wrong version', {}, 'GET', '8'],
  ])('%s gets 400', async (_name, extra, method, version) => {
    figures.hostileInputs++;
    const before = hostile.websocketHandshakes();
    const headerLines = Object.entries(extra).map(([name, value]) => `${name}: ${value}\r\n`);
    const answer = await rawRequest(
      gateway.url('openai'),
      `${method} /v1/responses HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: ${version}\r\n${headerLines.join('')}\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"type":"keyless_error"');
    expect(hostile.websocketHandshakes()).toBe(before);
  });

  it('a handshake without Sec-WebSocket-Key gets 400', async () => {
    figures.hostileInputs++;
    const answer = await rawRequest(
      gateway.url('openai'),
      'GET /v1/responses HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('an h2c upgrade is plain HTTP: proxied without the upgrade', async () => {
    figures.hostileInputs++;
    const answer = await rawRequest(
      gateway.url('openai'),
      'GET /ok?h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const seen = hostile.requests.at(-1)!;
    expect(seen.target).toBe('/ok?h2c');
    expect(seen.headers.upgrade).toBeUndefined();
    expect(seen.headers['http2-settings']).toBeUndefined();
    expect(seen.headers.connection ?? '').not.toMatch(/upgrade|http2-settings/i);
  });
});

describe('hostile request lines get the route error shape', () => {
  it.each([
    [
      'absolute-form',
      'GET http://evil.example/v1/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
    ],
    ['//host', 'GET //evil.example/v1/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
    [
      'encoded dot segments',
      'GET /v1/%2e%2e%2Fadmin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
    ],
    ['garbage', 'NOT-HTTP\r\n\r\n', 400],
    ['header overflow', `GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, 431],
  ])('%s', async (_name, text, status) => {
    figures.hostileInputs++;
    const answer = await rawRequest(gateway.url('openai'), text);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toContain('keyless_error');
  });

  it.each(['/ok?x=%zz&y=%E0%A4%A', '/v1/%zz', '/v1/%E0%A4%A?x=%'])(
    'forwards malformed escapes byte for byte: %s',
    async (target) => {
      figures.hostileInputs++;
      const answer = await rawRequest(
        gateway.url('openai'),
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(hostile.targets.at(-1)).toBe(target);
    },
  );

  it('answers Expect: 100-continue and forwards the body', async () => {
    figures.hostileInputs++;
    const answer = await rawRequest(
      gateway.url('openai'),
      'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n{}',
    );
    expect(answer).toMatch(/HTTP\/1\.1 200 /);
  });
});

describe('misbehaving upstreams end only their own request', () => {
  it('sends a GET answered 503 upstream exactly once', async () => {
    figures.faultsInjected++;
    const { status } = await send(`${gateway.url('openai')}${P.unavailable}`);
    expect(status).toBe(503);
    expect(hostile.count(P.unavailable)).toBe(1);
  });

  it('does not relay hop-by-hop response headers, nor those named in Connection', async () => {
    figures.faultsInjected++;
    const answer = parseHead(
      await rawRequest(
        gateway.url('openai'),
        `GET ${P.hopByHop} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
    );
    figures.requestsSent++;
    expect(answer.status).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.body).toBe('{"ok":true}');
    expect(answer.headers.get('x-kept')).toEqual(['1']);
    for (const name of ['keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-named']) {
      expect(answer.headers.get(name), name).toBeUndefined();
    }
    expect(answer.headers.get('transfer-encoding')).toBeUndefined();
    // Only the gateway's own Connection header, for this client's connection.
    expect(answer.headers.get('connection')).toEqual(['close']);
  });

  it.each([
    [P.resetBeforeHeaders, 502],
    [P.resetMidHeaders, 502],
    [P.stallHeaders, 504],
  ])('%s -> %i', async (path, status) => {
    figures.faultsInjected++;
    expect((await send(`${gateway.url('openai')}${path}`)).status).toBe(status);
  });

  it.each([P.resetMidBody, P.resetMidStream])('%s cuts the client connection', async (path) => {
    figures.faultsInjected++;
    const { status, text } = await send(`${gateway.url('openai')}${path}`);
    // Headers were relayed already: the client sees the cut as a failed body read.
    expect([0, 200]).toContain(status);
    if (status === 200) expect(text.length).toBeLessThan(1000);
  });

  it('a rejection body cut on a federated route is a 502, not a crash', async () => {
    figures.faultsInjected++;
    const { status } = await send(`${hostileRig.gateway.url('openai')}${P.unauthorizedCut}`, {
      method: 'POST',
      body: '{}',
    });
    expect(status).toBe(502);
  });

  it('a refused WebSocket handshake cut mid-body: 502 when classified, the 401 head when relayed', async () => {
    figures.faultsInjected += 2;
    const federated = hostileRig.gateway.url('openai').replace('http', 'ws');
    expect(await handshake(`${federated}${P.unauthorizedCut}`)).toBe('502');
    const relayed = gateway.url('openai').replace('http', 'ws');
    expect(await handshake(`${relayed}${P.unauthorizedCut}`)).toBe('401');
  });

  it('still serves after all of the above', async () => {
    const { status } = await send(`${gateway.url('openai')}${P.ok}`);
    if (status !== 200) figures.unexpectedFailures++;
    expect(status).toBe(200);
  });
});

describe('misbehaving WebSocket upstreams end only their own socket', () => {
  const base = () => gateway.url('openai').replace('http', 'ws');

  it('an upstream that accepts and cuts at once: the client opens, then is closed', async () => {
    figures.faultsInjected++;
    const { closed } = await openSocket(`${base()}${P.websocketCutAtOnce}`);
    expect(await closed).toBeGreaterThanOrEqual(1000);
  });

  it('an upstream reset mid-stream after messages flowed closes the client; one request recorded', async () => {
    figures.faultsInjected++;
    const counted = { route: 'openai', status: '101' };
    const before = {
      requests: await metric('keyless_requests_total', counted),
      latencies: await metric('keyless_upstream_latency_seconds_count', { route: 'openai' }),
    };
    const { socket, messages, closed } = await openSocket(`${base()}${P.websocketResetMidStream}`);
    socket.send('{"type":"response.create"}');
    expect(await closed).toBeGreaterThanOrEqual(1000);
    expect(messages).toEqual([...WEBSOCKET_MESSAGES]);

    await expect
      .poll(() =>
        gateway
          .logs()
          .filter((line) => line.event === 'request' && line.path === P.websocketResetMidStream),
      )
      .toEqual([expect.objectContaining({ websocket: true, status: 101, upstreamStatus: 101 })]);
    expect(await metric('keyless_requests_total', counted)).toBe(before.requests + 1);
    expect(await metric('keyless_upstream_latency_seconds_count', { route: 'openai' })).toBe(
      before.latencies + 1,
    );
  });

  it('a 101 cut mid-headers is a 502 in the route error shape', async () => {
    figures.faultsInjected++;
    const answer = await rawRequest(
      gateway.url('openai'),
      `GET ${P.websocketCutMidHeaders} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    figures.requestsSent++;
    expect(answer).toMatch(/^HTTP\/1\.1 502 /);
    expect(answer).toContain('"type":"keyless_error"');
  });

  it('still serves after all of the above', async () => {
    const { status } = await send(`${gateway.url('openai')}${P.ok}`);
    if (status !== 200) figures.unexpectedFailures++;
    expect(status).toBe(200);
    expect(await handshake(`${base()}${P.websocketCutAtOnce}`)).toBe('open');
  });
});

describe('uploads cannot exhaust memory', () => {
  const chat = (bytes: number) =>
    Buffer.from(
      JSON.stringify({
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'x'.repeat(bytes) }],
      }),
    );

  it('stalled uploads get 408 and give their bytes back', async () => {
    figures.hostileInputs += 10;
    const url = new URL(gateway.url('gemini'));
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        rawRequest(
          url.href,
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * MiB}\r\n\r\n${'x'.repeat(MiB)}`,
          10_000,
        ),
      ),
    );
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // Nothing is still held: a large body fits again.
    const { status } = await send(`${gateway.url('gemini')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat(9 * MiB),
    });
    expect(status).toBe(200);
  });

  it('abandoned uploads leave nothing behind', async () => {
    figures.hostileInputs += 10;
    const url = new URL(gateway.url('gemini'));
    await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(Number(url.port), url.hostname, () => {
              socket.write(
                `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * MiB}\r\n\r\n${'x'.repeat(2 * MiB)}`,
                () => {
                  socket.destroy();
                  resolve();
                },
              );
            });
            socket.on('error', () => resolve());
          }),
      ),
    );
    const { status } = await send(`${gateway.url('gemini')}/v1/models`);
    expect(status).toBe(200);
  });

  it(
    '50 concurrent 10 MB uploads: each accepted or refused as overloaded, RSS under the bound',
    async () => {
      // On a gateway with the default limits and timeouts, so that every upload is received.
      const body = chat(10 * MiB - 200);
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          send(`${uploads.url('gemini')}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        ),
      );
      const statuses = results.map(({ status }) => status);
      figures.unexpectedFailures += statuses.filter(
        (status) => ![200, 503].includes(status),
      ).length;
      expect(statuses.filter((status) => ![200, 503].includes(status))).toEqual([]);
      expect(statuses).toContain(200);
      for (const { status, headers, text } of results.filter(({ status }) => status === 503)) {
        expect(status).toBe(503);
        // The gemini route's (Google) error shape; the gateway's code is in X-Keyless-Error.
        expect(headers.get('x-keyless-error')).toBe('overloaded');
        expect(JSON.parse(text)).toMatchObject({
          error: { code: 503, message: expect.stringContaining('KEYLESS_BUFFER_LIMIT') },
        });
        expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(peakRssMiB(uploads.child.pid!)).toBeLessThan(RSS_BOUND_MIB);
      // Every byte went back to the budget: one more large body is accepted.
      const after = await send(`${uploads.url('gemini')}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(after.status).toBe(200);
    },
    // 500 MB through the loopback on a shared CI runner: far more than the 30 s default.
    120_000,
  );

  it('a body over the limit gets 413 whether declared or chunked', async () => {
    const declared = await send(`${uploads.url('gemini')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat(11 * MiB),
    });
    expect(declared.status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 11; i++) controller.enqueue(new Uint8Array(MiB));
        controller.close();
      },
    });
    const chunked = await send(`${uploads.url('gemini')}/v1/chat/completions`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.headers.get('x-keyless-error')).toBe('payload_too_large');
  });

  it('KEYLESS_BUFFER_LIMIT: a body that would pass it while another is held gets 503 overloaded', async () => {
    // Two bodies of 600 KiB against a 1 MiB budget: the first is held while its upstream stalls.
    const body = Buffer.alloc(600 * 1024, 120);
    const stalled = hostile.count(P.stallHeaders);
    const holder = new AbortController();
    const held = send(`${tight.url('openai')}${P.stallHeaders}`, {
      method: 'POST',
      body,
      signal: holder.signal,
    });
    // The upstream sees the request once the gateway read (and holds) the whole body.
    await expect.poll(() => hostile.count(P.stallHeaders)).toBe(stalled + 1);

    const refused = await send(`${tight.url('openai')}${P.ok}`, { method: 'POST', body });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(refused.text)).toEqual({
      error: {
        message: expect.stringContaining('KEYLESS_BUFFER_LIMIT'),
        type: 'keyless_error',
        code: 'overloaded',
      },
    });

    // The held body is given back when its request ends: the same body fits again.
    holder.abort();
    expect((await held).status).toBe(0);
    await expect
      .poll(
        async () => (await send(`${tight.url('openai')}${P.ok}`, { method: 'POST', body })).status,
      )
      .toBe(200);
  });
});

describe('the federated credential under pressure', () => {
  it('a 401 storm from many concurrent requests causes exactly one renewal', async () => {
    expect((await rig.chat()).status).toBe(200);
    const issued = rig.service.issued.length;
    rig.service.revoke(rig.service.issued.at(-1)!.token);
    figures.faultsInjected++;
    const results = await Promise.all(Array.from({ length: 40 }, () => rig.chat('storm')));
    figures.requestsSent += 41;
    const failed = results.filter(({ status }) => status !== 200).length;
    figures.unexpectedFailures += failed;
    expect(failed).toBe(0);
    expect(rig.service.issued.length - issued).toBe(1);
  });

  it('forced rotation under mixed JSON and streaming load fails no request', async () => {
    const streaming = async () => {
      figures.requestsSent++;
      const response = await fetch(`${rig.gateway.url('openai')}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer placeholder', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-fake', stream: true, messages: [] }),
      });
      const text = await response.text();
      return response.status === 200 && text.includes('[DONE]');
    };
    let failed = 0;
    for (let round = 0; round < 5; round++) {
      rig.service.revoke(rig.service.issued.at(-1)!.token);
      figures.faultsInjected++;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2 ? streaming() : rig.chat('rotate').then(({ status }) => status === 200),
        ),
      );
      figures.requestsSent += 6;
      failed += results.filter((ok) => !ok).length;
    }
    figures.unexpectedFailures += failed;
    expect(failed).toBe(0);
  });
});
