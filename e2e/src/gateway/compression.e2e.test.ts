import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';

const COMPRESSED = gzipSync(
  Buffer.from(JSON.stringify({ object: 'list', data: [{ id: 'gpt-fake' }] })),
);

describe('compressed responses', () => {
  let upstream: http.Server;
  let gateway: GatewayProcess;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': COMPRESSED.length,
      });
      res.end(COMPRESSED);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    gateway = await startGatewayProcess({
      OPENAI_API_KEY: 'sk-compression-0123456789',
      OPENAI_API_TARGET: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('pass through untouched: Content-Encoding and the bytes as the upstream sent them', async () => {
    const answer = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        http
          .get(
            `${gateway.url('openai')}/v1/models`,
            { headers: { 'accept-encoding': 'gzip' } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
            },
          )
          .on('error', reject);
      },
    );
    expect(seen.at(-1)!['accept-encoding']).toBe('gzip');
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.body.equals(COMPRESSED)).toBe(true);
  });
});
