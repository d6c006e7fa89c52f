import { readFileSync } from 'node:fs';
import net from 'node:net';
import { startOpenAiUpstream, type FakeUpstream } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startEngineRig, type EngineRig } from '../engine/engine-rig.ts';
import { rawRequest } from '../gateway/raw-http.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import {
  HOSTILE_PATHS as P,
  startHostileUpstream,
  type HostileUpstream,
} from './hostile-upstream.ts';

/** What the suite did, printed at the end (and asserted where it must be zero). */
const figures = {
  hostileInputs: 0,
  faultsInjected: 0,
  requestsSent: 0,
  unexpectedFailures: 0,
  gatewayRestarts: 0,
  upstreamSocketsLeftOpen: 0,
  peakRssMiB: 0,
};

const KEY = 'sk-resilience-0123456789abcdef';
const MiB = 1024 * 1024;
/** The documented bound: the body budget (64 MiB) on top of an idle gateway, with room to spare. */
const RSS_BOUND_MIB = 400;

let hostile: HostileUpstream;
let fake: FakeUpstream;
let gateway: GatewayProcess;
let rig: EngineRig;
/** A federated gateway whose openai route goes to the hostile upstream. */
let hostileRig: EngineRig;

/** Peak resident set size of a process, MiB (Linux). */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

async function send(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  figures.requestsSent++;
  try {
    const response = await fetch(url, init);
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return { status: 0, text: String(error) };
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

beforeAll(async () => {
  [hostile, fake] = await Promise.all([startHostileUpstream(), startOpenAiUpstream()]);
  gateway = await startGatewayProcess({
    OPENAI_API_KEY: KEY,
    OPENAI_API_TARGET: hostile.url,
    GEMINI_API_KEY: KEY,
    GEMINI_API_TARGET: fake.url,
    KEYLESS_REQUEST_TIMEOUT_MS: '3000',
    KEYLESS_UPSTREAM_TIMEOUT_MS: '1500',
  });
  [rig, hostileRig] = await Promise.all([startEngineRig(), startEngineRig()]);
  await Promise.all([
    rig.startGateway(),
    hostileRig.startGateway({ OPENAI_API_TARGET: hostile.url }),
  ]);
});

afterAll(async () => {
  for (const child of [gateway?.child, rig?.gateway.child, hostileRig?.gateway.child]) {
    if (child && child.exitCode !== null) figures.gatewayRestarts++;
  }
  if (gateway?.child.pid) figures.peakRssMiB = Math.round(peakRssMiB(gateway.child.pid));
  // Give closing sockets a moment, then count what the gateway left open upstream.
  await new Promise((resolve) => setTimeout(resolve, 200));
  figures.upstreamSocketsLeftOpen = hostile?.openConnections() ?? 0;
  await gateway?.stop();
  await Promise.all([rig?.close(), hostileRig?.close()]);
  await Promise.all([hostile?.close(), fake?.close()]);
  process.stdout.write(`\nresilience summary: ${JSON.stringify(figures)}\n`);
  expect(figures.gatewayRestarts).toBe(0);
  expect(figures.upstreamSocketsLeftOpen).toBe(0);
  expect(figures.unexpectedFailures).toBe(0);
});

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
      'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
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

  it('does not relay hop-by-hop response headers', async () => {
    const response = await fetch(`${gateway.url('openai')}${P.ok}`);
    figures.requestsSent++;
    await response.text();
    // The gateway's own connection has its own Keep-Alive; the upstream's (timeout=5) is not relayed.
    expect(response.headers.get('keep-alive')).not.toContain('timeout=5');
    expect(response.headers.get('x-hop')).toBe('1'); // not named in Connection by this upstream
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

  it('a refused WebSocket handshake cut mid-body and an accepted one cut at once', async () => {
    figures.faultsInjected += 3;
    const base = hostileRig.gateway.url('openai').replace('http', 'ws');
    expect(await handshake(`${base}${P.unauthorizedCut}`)).toMatch(/^(502|error)$/);
    const staticBase = gateway.url('openai').replace('http', 'ws');
    expect(await handshake(`${staticBase}${P.unauthorizedCut}`)).toMatch(/^(401|error)$/);
    expect(await handshake(`${staticBase}/v1/responses`)).toMatch(/^(open|error)$/);
  });

  it('still serves after all of the above', async () => {
    const { status } = await send(`${gateway.url('openai')}${P.ok}`);
    if (status !== 200) figures.unexpectedFailures++;
    expect(status).toBe(200);
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

  it('50 concurrent 10 MB uploads: each answered, RSS under the bound', async () => {
    const body = chat(10 * MiB - 200);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        send(`${gateway.url('gemini')}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      ),
    );
    // Each ends as accepted, refused as overloaded, or (on a busy machine) not received within
    // KEYLESS_REQUEST_TIMEOUT_MS: a 408, or the connection closed under a client still sending.
    for (const { status, text } of results) {
      expect([0, 200, 408, 503, 504]).toContain(status);
      if (status === 503) expect(text).toContain('overloaded');
    }
    expect(peakRssMiB(gateway.child.pid!)).toBeLessThan(RSS_BOUND_MIB);
    // Every byte went back to the budget: one more large body is accepted.
    const after = await send(`${gateway.url('gemini')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(after.status).toBe(200);
  });

  it('a body over the limit gets 413 whether declared or chunked', async () => {
    const declared = await send(`${gateway.url('gemini')}/v1/chat/completions`, {
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
    const chunked = await send(`${gateway.url('gemini')}/v1/chat/completions`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect([0, 413]).toContain(chunked.status);
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
