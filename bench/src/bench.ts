import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAwsSts, startGithubOidcIssuer } from '@keyless/fakes';
import type { AwsStsFake, GithubOidcIssuer } from '@keyless/fakes';
import { fireConcurrently, type ColdStartResult } from './cold-start.ts';
import { startGateway, type GatewayListening } from './gateway-process.ts';
import { runLoad, type LoadResult, type LoadSpec } from './load.ts';
import { machineInfo, type MachineInfo } from './machine-info.ts';
import { startNodeChild, type NodeChild } from './node-child.ts';
import { readRss, RssSampler } from './rss.ts';
import { timeStreams, type SseTiming } from './sse-timing.ts';

/** The four things measured side by side. */
export const TARGETS = ['direct', 'raw proxy', 'bearer route', 'sigv4 route'] as const;
export type Target = (typeof TARGETS)[number];

/** How much to measure. */
export interface BenchSettings {
  readonly quick: boolean;
  readonly reps: number;
  readonly connections: readonly number[];
  /** Seconds per load run. */
  readonly durationS: number;
  /** Streamed answers timed per target. */
  readonly sseSamples: number;
  /** Concurrent streams held open for the peak RSS. */
  readonly sseStreams: number;
  /** Concurrent first requests of the cold start. */
  readonly coldRequests: number;
  /** How long the identity service takes to answer during the cold start, ms. */
  readonly identityDelayMs: number;
  /** Gateway entry point; default this checkout's. */
  readonly gatewayEntry?: string;
  /** Folder for `--cpu-prof` profiles of the measured gateway; none when absent. */
  readonly cpuProfDir?: string;
}

/** Full run: 3 interleaved repetitions of 5 s at 1, 16 and 64 connections. */
export const FULL_SETTINGS: BenchSettings = {
  quick: false,
  reps: 3,
  connections: [1, 16, 64],
  durationS: 5,
  sseSamples: 40,
  sseStreams: 1000,
  coldRequests: 1000,
  identityDelayMs: 1000,
};

/** A few seconds: every phase runs, briefly, so that the bench cannot rot. */
export const QUICK_SETTINGS: BenchSettings = {
  quick: true,
  reps: 1,
  connections: [1, 16],
  durationS: 0.3,
  sseSamples: 2,
  sseStreams: 20,
  coldRequests: 50,
  identityDelayMs: 200,
};

/** One load run in the interleaved sequence. */
export interface LoadSample extends LoadResult {
  readonly target: Target;
  readonly connections: number;
  readonly rep: number;
}

/** Everything one run measured. */
export interface BenchResult {
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  readonly load: readonly LoadSample[];
  readonly sse: Readonly<Partial<Record<Target, SseTiming>>>;
  readonly memory: {
    /** A gateway with one static route, after start, bytes. */
    readonly idleStatic: number;
    /** The measured gateway (static + federated route) before load, bytes. */
    readonly idle: number;
    /** Peak during the load runs, bytes. */
    readonly peakLoad: number;
    /** Peak while `settings.sseStreams` streams are open, bytes. */
    readonly peakSse: number;
    /** Streams that completed during the SSE peak phase, and those that failed. */
    readonly sseOk: number;
    readonly sseFailed: number;
  };
  readonly coldStart: ColdStartResult & {
    /** STS calls (exchanges) and GitHub tokens minted during the cold start. */
    readonly exchanges: number;
    readonly idTokens: number;
  };
  /** `.cpuprofile` files written by the measured gateway. */
  readonly profiles: readonly string[];
}

const HELPER_ENTRY = fileURLToPath(new URL('./helper-main.ts', import.meta.url));
const ROLE_ARN = 'arn:aws:iam::123456789012:role/keyless-bench';
const REGION = 'us-east-1';
const STATIC_KEY = 'sk-bench-static-key-not-a-secret';
/** A chat request of about 150 bytes, the same for every target. */
const REQUEST_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the benchmark, briefly.' }],
});
const JSON_PATH = '/v1/chat/completions';
const SSE_PATH = '/v1/chat/completions?stream=true';
const BEDROCK_PATH = '/model/anthropic.claude-3-haiku-20240307-v1:0/invoke';
const REQUEST_HEADERS = { 'content-type': 'application/json' };

type Log = (line: string) => void;

function startHelper(args: readonly string[]): Promise<NodeChild<{ url: string }>> {
  return startNodeChild<{ url: string }>({
    entry: HELPER_ENTRY,
    args,
    readyWhen: (line) => (typeof line.url === 'string' ? { url: line.url } : undefined),
  });
}

function federatedEnv(
  issuer: GithubOidcIssuer,
  sts: AwsStsFake,
  bedrockUrl: string,
): Record<string, string> {
  return {
    AWF_AUTH_TYPE: 'github-oidc',
    AWF_AUTH_PROVIDER: 'aws',
    AWF_AUTH_AWS_ROLE_ARN: ROLE_ARN,
    AWF_AUTH_AWS_REGION: REGION,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrockUrl,
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
  };
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `url` answers 200 (the federated route once its credential exists). */
async function untilOk(url: string, body: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { method: 'POST', headers: REQUEST_HEADERS, body });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
    } catch (error) {
      last = String(error);
    }
    await settle(100);
  }
  throw new Error(`${url} never answered 200; last: ${last.slice(0, 300)}`);
}

/** The `.cpuprofile` files process `pid` wrote into `dir` (Node puts the pid in the name). */
async function profilesOf(dir: string, pid: number): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((name) => name.endsWith('.cpuprofile') && name.includes(`.${pid}.`))
    .map((name) => path.join(dir, name));
}

/** Idle RSS of a freshly started gateway with one static route, bytes. */
async function idleStaticRss(settings: BenchSettings, upstream: string): Promise<number> {
  const gateway = await startGateway({
    env: { OPENAI_API_KEY: STATIC_KEY, OPENAI_API_TARGET: upstream },
    ...(settings.gatewayEntry ? { entry: settings.gatewayEntry } : {}),
  });
  try {
    await settle(settings.quick ? 200 : 2000);
    return await readRss(gateway.pid);
  } finally {
    await gateway.stop();
  }
}

function loadSpec(
  target: Target,
  urls: Record<Target, string>,
  connections: number,
  settings: BenchSettings,
): LoadSpec {
  return {
    url: urls[target],
    connections,
    durationS: settings.durationS,
    method: 'POST',
    body: REQUEST_BODY,
    headers: REQUEST_HEADERS,
  };
}

/** Every target at every connection count, `reps` times, in a rotating order. */
async function interleavedLoad(
  urls: Record<Target, string>,
  settings: BenchSettings,
  log: Log,
): Promise<LoadSample[]> {
  for (const target of TARGETS) {
    // Warm-up (JIT, connection pools, the federated credential); not recorded.
    await runLoad({ ...loadSpec(target, urls, 16, settings), durationS: settings.quick ? 0.2 : 1 });
  }
  const samples: LoadSample[] = [];
  for (let rep = 1; rep <= settings.reps; rep += 1) {
    for (const connections of settings.connections) {
      // Rotate the order each repetition so that no target always runs first or last.
      const order = TARGETS.map((_, index) => TARGETS[(index + rep - 1) % TARGETS.length]!);
      for (const target of order) {
        const result = await runLoad(loadSpec(target, urls, connections, settings));
        samples.push({ target, connections, rep, ...result });
        log(
          `  rep ${rep} c=${String(connections).padStart(2)} ${target.padEnd(12)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms${result.failed ? `  FAILED ${result.failed}` : ''}`,
        );
      }
    }
  }
  return samples;
}

async function sseTimings(
  urls: Record<Target, string>,
  settings: BenchSettings,
): Promise<Partial<Record<Target, SseTiming>>> {
  const streamed: Target[] = ['direct', 'raw proxy', 'bearer route'];
  const timings: Partial<Record<Target, SseTiming>> = {};
  for (const target of streamed) {
    timings[target] = await timeStreams(
      urls[target].replace(JSON_PATH, SSE_PATH),
      settings.sseSamples,
      REQUEST_BODY,
    );
  }
  return timings;
}

async function coldStart(
  settings: BenchSettings,
  issuer: GithubOidcIssuer,
  sts: AwsStsFake,
  upstream: string,
  log: Log,
): Promise<BenchResult['coldStart']> {
  const stsBefore = sts.count();
  const mintedBefore = issuer.minted.length;
  // The identity service answers after ~1 s, so that every first request piles up behind one exchange.
  sts.inject({ delayMs: settings.identityDelayMs });
  const gateway = await startGateway({
    env: federatedEnv(issuer, sts, upstream),
    ...(settings.gatewayEntry ? { entry: settings.gatewayEntry } : {}),
  });
  try {
    log(`cold start: ${settings.coldRequests} concurrent first requests`);
    const result = await fireConcurrently(
      `${gateway.ready.urls.bedrock}${BEDROCK_PATH}`,
      settings.coldRequests,
      REQUEST_BODY,
    );
    return {
      ...result,
      exchanges: sts.count() - stsBefore,
      idTokens: issuer.minted.length - mintedBefore,
    };
  } finally {
    sts.clearFaults();
    await gateway.stop();
  }
}

/**
 * Runs the whole benchmark: helpers and fakes up, idle RSS, interleaved load,
 * SSE timings, peak RSS under many streams, cold start; everything torn down.
 */
export async function runBench(
  settings: BenchSettings,
  log: Log = () => undefined,
): Promise<BenchResult> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const upstream = await startHelper(['upstream']);
    stops.push(() => upstream.stop());
    const raw = await startHelper(['raw-proxy', upstream.ready.url]);
    stops.push(() => raw.stop());
    const issuer = await startGithubOidcIssuer();
    stops.push(() => issuer.close());
    const sts = await startAwsSts({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      roles: [{ arn: ROLE_ARN }],
    });
    stops.push(() => sts.close());

    log('idle RSS: gateway with one static route');
    const idleStatic = await idleStaticRss(settings, upstream.ready.url);

    const profiling = settings.cpuProfDir
      ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`]
      : [];
    const gateway = await startGateway({
      env: {
        OPENAI_API_KEY: STATIC_KEY,
        OPENAI_API_TARGET: upstream.ready.url,
        ...federatedEnv(issuer, sts, upstream.ready.url),
      },
      nodeFlags: profiling,
      ...(settings.gatewayEntry ? { entry: settings.gatewayEntry } : {}),
    });
    let gatewayStopped = false;
    stops.push(async () => {
      if (!gatewayStopped) await gateway.stop();
    });
    const routes: GatewayListening['urls'] = gateway.ready.urls;
    const urls: Record<Target, string> = {
      direct: `${upstream.ready.url}${JSON_PATH}`,
      'raw proxy': `${raw.ready.url}${JSON_PATH}`,
      'bearer route': `${routes.openai}${JSON_PATH}`,
      'sigv4 route': `${routes.bedrock}${BEDROCK_PATH}`,
    };
    await settle(settings.quick ? 200 : 2000);
    const idle = await readRss(gateway.pid);
    await untilOk(urls['sigv4 route'], REQUEST_BODY);

    log('load: interleaved, every target at every connection count');
    const sampler = new RssSampler(gateway.pid);
    sampler.start();
    const load = await interleavedLoad(urls, settings, log);
    await sampler.stop();

    log('SSE: time to first byte and per event');
    const sse = await sseTimings(urls, settings);

    log(`peak RSS: ${settings.sseStreams} concurrent SSE streams`);
    const sseSampler = new RssSampler(gateway.pid);
    sseSampler.start(100);
    const streams = await runLoad({
      url: `${routes.openai}${SSE_PATH}`,
      connections: settings.sseStreams,
      durationS: settings.quick ? 0.3 : 5,
      method: 'POST',
      body: REQUEST_BODY,
      headers: REQUEST_HEADERS,
    });
    await sseSampler.stop();
    // Stop before the cold start: the profile is written on exit, and the machine is quiet again.
    await gateway.stop();
    gatewayStopped = true;

    const profiles = settings.cpuProfDir ? await profilesOf(settings.cpuProfDir, gateway.pid) : [];

    const cold = await coldStart(settings, issuer, sts, upstream.ready.url, log);
    return {
      machine: await machineInfo(),
      settings,
      load,
      sse,
      memory: {
        idleStatic,
        idle,
        peakLoad: sampler.peak,
        peakSse: sseSampler.peak,
        sseOk: streams.ok,
        sseFailed: streams.failed,
      },
      coldStart: cold,
      profiles,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
