import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startAwsRig, type AwsRig } from '../aws/aws-rig.ts';
import { startEngineRig, type EngineRig } from '../engine/engine-rig.ts';
import { findLeaksInAnyForm } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { startReflectingUpstream, type ReflectingUpstream } from './reflecting-upstream.ts';

const STATIC_KEY = 'sk-reflected-static-key-5f4e3d2c1b0a';

/** Everything a client received for one request: status line, headers, and the decoded body. */
async function receive(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      {
        method: init.method ?? 'POST',
        headers: {
          authorization: 'Bearer placeholder',
          'content-type': 'application/json',
          'accept-encoding': 'gzip',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        const head = `${response.statusCode} ${JSON.stringify(response.headers)}`;
        const done = () => {
          const raw = Buffer.concat(chunks);
          // Decode what arrived, even a cut stream: a partial secret must not get through either.
          const body =
            response.headers['content-encoding'] === 'gzip' ? gunzipPartial(raw) : raw.toString();
          resolve(`${head}\n${body}`);
        };
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', done);
        response.on('error', done);
        response.on('aborted', done);
      },
    );
    request.on('error', (error) => resolve(`error ${error.message}`));
    request.end(init.body ?? '{"model":"m","messages":[]}');
  });
}

/** What a client could decode of gzip bytes, a cut stream included. */
function gunzipPartial(raw: Buffer): string {
  try {
    return zlib.gunzipSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
  } catch (error) {
    return `undecodable gzip (${(error as Error).message}): ${raw.toString('latin1')}`;
  }
}

/** A refused WebSocket handshake: the refusal's headers and body as the client saw them. */
function refusedHandshake(url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers: { authorization: 'Bearer placeholder' } });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        resolve(`${response.statusCode} ${JSON.stringify(response.headers)}\n${body}`),
      );
    });
    socket.once('open', () => resolve('open'));
    socket.once('error', (error) => resolve(`error ${error.message}`));
  });
}

const PATHS = ['/v1/chat/completions', '/stream', '/gzip'];

let reflector: ReflectingUpstream;
let gateway: GatewayProcess;
let engine: EngineRig;
let aws: AwsRig;

beforeAll(async () => {
  reflector = await startReflectingUpstream();
  gateway = await startGatewayProcess({
    OPENAI_API_KEY: STATIC_KEY,
    OPENAI_API_TARGET: reflector.url,
  });
  engine = await startEngineRig();
  await engine.startGateway({ OPENAI_API_TARGET: reflector.url });
  aws = await startAwsRig({
    role: { arn: 'arn:aws:iam::123456789012:role/keyless' },
    region: 'us-east-1',
  });
  await aws.startGateway({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: reflector.url });
});

afterAll(async () => {
  await gateway?.stop();
  await engine?.close();
  await aws?.close();
  await reflector?.close();
});

describe('a reflecting upstream cannot hand the credential to the agent', () => {
  it('static key: bodies, headers, SSE split per byte, gzip, a refused handshake', async () => {
    const seen = await Promise.all(PATHS.map((path) => receive(`${gateway.url('openai')}${path}`)));
    seen.push(
      await refusedHandshake(`${gateway.url('openai').replace('http', 'ws')}/v1/responses`),
    );
    // The reflector did reflect: the gateway scrubbed what it reflected.
    expect(seen.join('\n')).toContain('Bearer [REDACTED]');
    expect(findLeaksInAnyForm({ answers: seen.join('\n') }, [STATIC_KEY])).toEqual([]);
  });

  it('a scrubbed answer keeps the length it declared: the client reads it whole', async () => {
    const seen = await receive(`${gateway.url('openai')}/sized`);
    const [head, body] = [seen.slice(0, seen.indexOf('\n')), seen.slice(seen.indexOf('\n') + 1)];
    expect(head).toMatch(/^200 /);
    expect(JSON.parse(head.slice(4))['content-length']).toBe(String(Buffer.byteLength(body)));
    const echoed = JSON.parse(body) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toMatch(/^Bearer \[REDACTED\]/);
    expect(findLeaksInAnyForm({ answers: seen }, [STATIC_KEY])).toEqual([]);
  });

  it('federated bearer token, through the 401 replay as well', async () => {
    const seen = await Promise.all(
      PATHS.map((path) => receive(`${engine.gateway.url('openai')}${path}`)),
    );
    seen.push(
      await refusedHandshake(`${engine.gateway.url('openai').replace('http', 'ws')}/v1/responses`),
    );
    expect(engine.secrets().length).toBeGreaterThan(1);
    expect(findLeaksInAnyForm({ answers: seen.join('\n') }, engine.secrets())).toEqual([]);
  });

  it('SigV4 session token on the Bedrock route', async () => {
    const model = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';
    const seen = await Promise.all(
      [model, '/stream', '/gzip'].map((path) => receive(`${aws.gateway.url('bedrock')}${path}`)),
    );
    expect(seen.join('\n')).toContain('x-echo-x-amz-security-token');
    expect(findLeaksInAnyForm({ answers: seen.join('\n') }, aws.secrets())).toEqual([]);
  });
});
