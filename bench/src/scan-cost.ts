import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { COMPLETION_BODY } from './bench-upstream.ts';

/** One answer the scan is timed on. */
interface ScanCase {
  readonly name: string;
  readonly chunks: readonly Buffer[];
  readonly headers: Record<string, string>;
}

/** One scenario's figure: the cost of scanning one answer in-process, µs (median of the rounds). */
export interface ScanCost {
  readonly name: string;
  readonly bytes: number;
  readonly microsPerAnswer: number;
}

interface UpstreamAnswer {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}
type ScrubAnswer = (answer: UpstreamAnswer, matcher: unknown) => UpstreamAnswer;
interface MatcherCache {
  matcherFor(values: readonly string[]): unknown;
}

const STATIC_KEY = 'sk-bench-0123456789abcdefghijklmnopqrstuvwxyzABCD';
/** About the size of an Entra access token (a JWT of ~1.5 kB). */
const ENTRA_SIZED = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${Buffer.from('p'.repeat(1000)).toString('base64url')}.${Buffer.from('s'.repeat(256)).toString('base64url')}`;
const HEADERS = {
  'content-type': 'application/json',
  'x-request-id': 'req_0123456789abcdef',
  'openai-processing-ms': '412',
};

function cases(): ScanCase[] {
  const large = Buffer.from(
    JSON.stringify({ text: 'lorem ipsum dolor sit amet, '.repeat(2400) }).slice(0, 64 * 1024),
  );
  const split = (data: Buffer, size: number) =>
    Array.from({ length: Math.ceil(data.length / size) }, (_, i) =>
      data.subarray(i * size, (i + 1) * size),
    );
  return [
    { name: '500 B completion', chunks: [Buffer.from(COMPLETION_BODY)], headers: HEADERS },
    { name: '64 KiB answer, 16 KiB chunks', chunks: split(large, 16 * 1024), headers: HEADERS },
    {
      name: '64 KiB gzip answer',
      chunks: split(zlib.gzipSync(large), 16 * 1024),
      headers: { ...HEADERS, 'content-encoding': 'gzip' },
    },
  ];
}

async function drain(body: Readable): Promise<void> {
  for await (const chunk of body) void chunk;
}

/**
 * The cost of the answer scan alone: the gateway's own scrubAnswer (headers
 * and body, through its matcher cache) timed in-process on answers that carry
 * no secret (the common case), for a static key and an Entra-sized token.
 * `gatewayDir` picks the tree (another commit's checkout compares before/after).
 */
export async function measureScanCost(gatewayDir: string, rounds = 7): Promise<ScanCost[]> {
  const proxy = (file: string) =>
    import(pathToFileURL(path.join(gatewayDir, 'src/proxy', file)).href) as Promise<
      Record<string, unknown>
    >;
  const { scrubAnswer } = (await proxy('scrub-answer.ts')) as { scrubAnswer: ScrubAnswer };
  const { SecretMatcherCache } = (await proxy('secret-matcher-cache.ts')) as {
    SecretMatcherCache: new (secretsIn: (value: string) => string[]) => MatcherCache;
  };
  const results: ScanCost[] = [];
  for (const [credential, secret] of [
    ['static key', STATIC_KEY],
    ['Entra-sized token', ENTRA_SIZED],
  ] as const) {
    const matcher = new SecretMatcherCache((value) => [value]).matcherFor([secret]);
    for (const { name, chunks, headers } of cases()) {
      const answers = 200;
      const samples: number[] = [];
      // Round 0 warms the JIT up and is not counted.
      for (let round = 0; round <= rounds; round += 1) {
        const started = performance.now();
        for (let i = 0; i < answers; i += 1) {
          const answer = { status: 200, headers, body: Readable.from(chunks) };
          await drain(scrubAnswer(answer, matcher).body);
        }
        if (round > 0) samples.push(((performance.now() - started) * 1000) / answers);
      }
      samples.sort((a, b) => a - b);
      results.push({
        name: `${credential}: ${name}`,
        bytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0),
        microsPerAnswer: samples[Math.floor(samples.length / 2)]!,
      });
    }
  }
  return results;
}

/** The figures as a Markdown table. */
export function renderScanCost(results: readonly ScanCost[]): string {
  const rows = results.map(
    ({ name, bytes, microsPerAnswer }) => `| ${name} | ${bytes} | ${microsPerAnswer.toFixed(1)} |`,
  );
  return ['| answer | bytes | µs per answer |', '| --- | ---: | ---: |', ...rows, ''].join('\n');
}
