import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startAwsRig, type AwsRig } from '../aws/aws-rig.ts';
import { startAzureRig, type AzureRig } from '../azure/azure-rig.ts';
import { startEngineRig, type EngineRig } from '../engine/engine-rig.ts';
import { startGcpRig, type GcpRig } from '../gcp/gcp-rig.ts';
import { findLeaksInAnyForm } from '../harness/canary.ts';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { startReflectingUpstream, type ReflectingUpstream } from './reflecting-upstream.ts';

const STATIC_KEY = 'sk-reflected-static-key-5f4e3d2c1b0a';
/** A client key with the characters that have other spellings (`+`, `/`, `=`). */
const CLIENT_KEY = 'ck-live+4Fq/9Zr2Wp+7Tx/3Lm=';

/** Everything a client received for one request: status line, headers, and the decoded body. */
async function receive(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
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
          ...init.headers,
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

/** Every message an accepted WebSocket received until it closed, as text. */
function receiveMessages(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    const seen: string[] = [];
    socket.on('message', (data: Buffer) => seen.push(data.toString('latin1')));
    socket.once('close', () => resolve(`messages ${seen.length}\n${seen.join('\n')}`));
    socket.once('unexpected-response', (_request, response) =>
      resolve(`refused ${response.statusCode}`),
    );
    socket.once('error', (error) => resolve(`error ${error.message}`));
  });
}

/** What the operator's side shows: the process output, /readyz and /metrics. */
async function operatorView(gateway: GatewayProcess): Promise<Record<string, string>> {
  const [readyz, metrics] = await Promise.all(
    ['/readyz', '/metrics'].map(async (path) =>
      (await fetch(`${gateway.managementUrl}${path}`)).text(),
    ),
  );
  return { output: gateway.output(), readyz: readyz!, metrics: metrics! };
}

/** Each answer under its own label, so that a leak names the answer it was found in. */
const labelled = (seen: readonly string[]): Record<string, string> =>
  Object.fromEntries(seen.map((text, i) => [`answer ${i} (${text.slice(0, 3)})`, text]));

const PATHS = ['/v1/chat/completions', '/stream', '/gzip', '/stacked', '/zstd'];
const wsUrl = (base: string, path: string) => `${base.replace('http', 'ws')}${path}`;

let reflector: ReflectingUpstream;
let gateway: GatewayProcess;
let engine: EngineRig;
let aws: AwsRig;
let azure: AzureRig;
let gcp: GcpRig;

beforeAll(async () => {
  reflector = await startReflectingUpstream();
  [gateway, engine, aws, azure, gcp] = await Promise.all([
    startGatewayProcess({
      OPENAI_API_KEY: STATIC_KEY,
      OPENAI_API_TARGET: reflector.url,
      KEYLESS_CLIENT_KEY: CLIENT_KEY,
    }),
    startEngineRig(),
    startAwsRig({ role: { arn: 'arn:aws:iam::123456789012:role/keyless' }, region: 'us-east-1' }),
    startAzureRig(),
    startGcpRig(),
  ]);
  await Promise.all([
    engine.startGateway({ OPENAI_API_TARGET: reflector.url }),
    aws.startGateway({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: reflector.url }),
    azure.startGateway({
      ...azure.workflowEnv(),
      COPILOT_PROVIDER_BASE_URL: `${reflector.url}/openai`,
    }),
    gcp.startGateway({ VERTEX_API_TARGET: reflector.url }),
  ]);
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([engine?.close(), aws?.close(), azure?.close(), gcp?.close()]);
  await reflector?.close();
});

const CLIENT = { authorization: `Bearer ${CLIENT_KEY}` };

describe('a reflecting upstream cannot hand the credential to the agent', () => {
  it('static key: every spelling and half, in bodies, headers, SSE split per byte, gzip, stacked and unscannable codings, a refused handshake, WebSocket messages', async () => {
    const seen = await Promise.all(
      PATHS.map((path) => receive(`${gateway.url('openai')}${path}`, { headers: CLIENT })),
    );
    seen.push(
      await refusedHandshake(wsUrl(gateway.url('openai'), '/v1/responses')),
      await receiveMessages(wsUrl(gateway.url('openai'), '/ws-echo'), CLIENT),
    );
    // The reflector did reflect: the gateway scrubbed what it reflected.
    expect(seen.join('\n')).toContain('Bearer [REDACTED]');
    expect(seen.at(-1)).toMatch(/^messages [1-9]/);
    expect(
      findLeaksInAnyForm({ ...labelled(seen), ...(await operatorView(gateway)) }, [
        STATIC_KEY,
        CLIENT_KEY,
      ]),
    ).toEqual([]);
  });

  it('answers in a coding the gateway cannot scan are refused; the agent may only ask for scannable codings', async () => {
    const zstd = await receive(`${gateway.url('openai')}/zstd`, { headers: CLIENT });
    // Refused before a byte of the body is relayed, in the route's error shape.
    expect(zstd).toMatch(/^502 /);
    expect(zstd).toContain('upstream_unreachable');
    expect(zstd).not.toContain('"headers"');
    const sized = await receive(`${gateway.url('openai')}/sized`, {
      headers: { ...CLIENT, 'accept-encoding': 'zstd, br;q=0.5, compress' },
    });
    const echoed = JSON.parse(sized.slice(sized.indexOf('\n') + 1)) as {
      headers: Record<string, string>;
    };
    expect(echoed.headers['accept-encoding']).toBe('br;q=0.5');
  });

  it('a scrubbed answer keeps the length it declared: the client reads it whole', async () => {
    const seen = await receive(`${gateway.url('openai')}/sized`, { headers: CLIENT });
    const [head, body] = [seen.slice(0, seen.indexOf('\n')), seen.slice(seen.indexOf('\n') + 1)];
    expect(head).toMatch(/^200 /);
    expect(JSON.parse(head.slice(4))['content-length']).toBe(String(Buffer.byteLength(body)));
    const echoed = JSON.parse(body) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toMatch(/^Bearer \[REDACTED\]/);
    expect(findLeaksInAnyForm({ answers: seen }, [STATIC_KEY])).toEqual([]);
  });

  it('the client key in the path (lower-case %2b, %2f) and in a malformed URL, on a route and the management port', async () => {
    const lower = encodeURIComponent(CLIENT_KEY).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    const seen = await Promise.all([
      receive(`${gateway.url('openai')}/v1/models/${lower}`, { headers: CLIENT }),
      receive(`${gateway.url('openai')}/v1/%c0${lower}`, { headers: CLIENT }),
      receive(`${gateway.url('openai')}/%c0${STATIC_KEY}`, { headers: CLIENT }),
      receive(`${gateway.managementUrl}/%c0${lower}`, { method: 'GET' }),
      receive(`${gateway.managementUrl}/%c0${STATIC_KEY}`, { method: 'GET' }),
      receive(`${gateway.managementUrl}/${STATIC_KEY}`, { method: 'GET' }),
    ]);
    expect(seen[3]).toMatch(/^400 .*bad_request_target/);
    expect(
      findLeaksInAnyForm({ ...labelled(seen), ...(await operatorView(gateway)) }, [
        STATIC_KEY,
        CLIENT_KEY,
      ]),
    ).toEqual([]);
  });

  it('federated bearer token, through the 401 replay as well', async () => {
    const base = engine.gateway.url('openai');
    const seen = await Promise.all(PATHS.map((path) => receive(`${base}${path}`)));
    seen.push(
      await refusedHandshake(wsUrl(base, '/v1/responses')),
      await receiveMessages(wsUrl(base, '/ws-echo'), { authorization: 'Bearer placeholder' }),
    );
    expect(engine.secrets().length).toBeGreaterThan(1);
    expect(
      findLeaksInAnyForm(
        { ...labelled(seen), ...(await operatorView(engine.gateway)) },
        engine.secrets(),
      ),
    ).toEqual([]);
  });

  it('Entra token on the Azure OpenAI route', async () => {
    const base = `${azure.gateway.url('copilot')}/deployments/d`;
    const seen = await Promise.all(
      ['/chat/completions', '/stream', '/gzip', '/stacked', '/sized'].map((path) =>
        receive(`${base}${path}?api-version=2024-10-21`, { headers: { 'api-key': 'placeholder' } }),
      ),
    );
    expect(azure.entra.issued.length).toBeGreaterThan(0);
    expect(seen.join('\n')).toContain('[REDACTED]');
    expect(
      findLeaksInAnyForm(
        { ...labelled(seen), ...(await operatorView(azure.gateway)) },
        azure.secrets(),
      ),
    ).toEqual([]);
  });

  it('GCP access token on the Vertex route', async () => {
    const base = `${gcp.gateway.url('vertex')}/v1/projects/p/locations/l/publishers/google/models/m`;
    const seen = await Promise.all(
      [':generateContent', '/stream', '/gzip', '/stacked', '/sized'].map((path) =>
        receive(`${base}${path}`),
      ),
    );
    expect(gcp.sts.issued.length).toBeGreaterThan(0);
    expect(seen.join('\n')).toContain('[REDACTED]');
    expect(
      findLeaksInAnyForm(
        { ...labelled(seen), ...(await operatorView(gcp.gateway)) },
        gcp.secrets(),
      ),
    ).toEqual([]);
  });

  it('SigV4 session token on the Bedrock route', async () => {
    const model = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';
    const seen = await Promise.all(
      [model, '/stream', '/gzip', '/stacked'].map((path) =>
        receive(`${aws.gateway.url('bedrock')}${path}`),
      ),
    );
    expect(seen.join('\n')).toContain('x-echo-x-amz-security-token');
    expect(
      findLeaksInAnyForm(
        { ...labelled(seen), ...(await operatorView(aws.gateway)) },
        aws.secrets(),
      ),
    ).toEqual([]);
  });
});
