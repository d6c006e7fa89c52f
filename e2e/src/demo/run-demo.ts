import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  STACK_ROUTES,
  startFakeStack,
  type FakeFault,
  type FakeStack,
  type StackRouteName,
} from '@keyless/fakes';
import { startGatewayProcess, type GatewayProcess } from '../harness/gateway-process.ts';
import { DEMO_ROUTES, type DemoRequest } from './demo-requests.ts';
import { formatDemoTable, formatLifetime, type DemoRow } from './demo-table.ts';
import { timedRequest, type TimedAnswer } from './timed-request.ts';

/** Options of `runDemo`. */
export interface DemoOptions {
  /** Make the fakes fail on purpose (see FAKE_FAULTS): the demo then names the failing step. */
  readonly faults?: readonly FakeFault[];
  /** Aborted on Ctrl-C: the demo stops what it started and returns 130. */
  readonly signal: AbortSignal;
  readonly write: (text: string) => void;
}

/** A step of the demo that went wrong; `step` is what the failure message names. */
export class DemoStepError extends Error {
  readonly step: string;

  constructor(step: string, message: string) {
    super(message);
    this.step = step;
  }
}

const NAME_WIDTH = Math.max(...STACK_ROUTES.map((name) => name.length));

/** Exit codes of the demo. */
export const DEMO_EXIT = Object.freeze({ ok: 0, failed: 1, interrupted: 130 });

interface ReadyRoute {
  readonly route: string;
  readonly provider: string;
  readonly auth: string;
  readonly secondsToExpiry: number | null;
}

/**
 * `npm run demo`: starts the fakes and the real gateway process (as `npm
 * start` does) with one route per provider, sends a plain and a streaming
 * request through each, and prints one table. Everything it started is
 * stopped before it returns, whatever happened. Resolves with the exit code.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { write, signal } = options;
  let stack: FakeStack | undefined;
  let gateway: GatewayProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'keyless-demo-'));
  // Said last, once everything is stopped.
  let closing: string | undefined;
  const step = async <T>(
    label: string,
    run: () => Promise<T>,
    done: (value: T) => string,
  ): Promise<T> => {
    write(`  ${label} ... `);
    const startedAt = performance.now();
    try {
      const value = await run();
      write(`${done(value)} (${seconds(performance.now() - startedAt)})\n`);
      return value;
    } catch (error) {
      write('failed\n');
      if (error instanceof DemoStepError || signal.aborted) throw error;
      throw new DemoStepError(label, (error as Error).message);
    }
  };

  write('keyless demo: the whole chain on this machine, no cloud account needed\n');
  try {
    stack = await step(
      'starting the fakes',
      () => startFakeStack({ faults: options.faults ?? [] }),
      (s) =>
        `${Object.keys(s.urls()).length} servers on 127.0.0.1${s.faults.length ? `, failing on purpose: ${s.faults.join(', ')}` : ''}`,
    );
    const fakes = stack;
    const config = join(dir, 'keyless.yaml');
    // Port 0 everywhere: each listener binds a free port, and the gateway names its URLs.
    writeFileSync(
      config,
      fakes.configYaml(Object.fromEntries(STACK_ROUTES.map((name) => [name, 0] as const))),
    );
    const start = (): Promise<GatewayProcess> =>
      startGatewayProcess(
        {
          ...fakes.env(),
          KEYLESS_CONFIG: config,
          // The default credential wait (a refusal answers at once; the wait leaves room for the
          // first exchange on a loaded machine). Stopping should not wait for the keep-alive
          // connections the demo's own requests left open.
          KEYLESS_SHUTDOWN_GRACE_MS: '1000',
        },
        // Loading the gateway and its SDKs can take long on a busy machine.
        { signal, timeoutMs: 60_000 },
      );
    gateway = await step(
      'starting the gateway (node apps/gateway/src/main.ts serve)',
      start,
      (g) => `pid ${g.child.pid}, ${STACK_ROUTES.length} routes`,
    );
    const running = gateway;

    write('  sending a request and a streaming request through each route:\n');
    const answers = new Map<StackRouteName, { json: TimedAnswer; stream: TimedAnswer }>();
    for (const name of STACK_ROUTES) {
      const route = DEMO_ROUTES[name];
      const json = await send(running, name, 'json', route.json, signal);
      const stream = await send(running, name, 'stream', route.stream, signal);
      answers.set(name, { json, stream });
      write(
        `    ${name.padEnd(NAME_WIDTH)} ${json.status} json, ${stream.status} stream (${stream.bytes} bytes streamed)\n`,
      );
    }

    const ready = await step(
      'reading the credentials (/readyz and the gateway log)',
      async () =>
        (
          (await (await fetch(`${running.managementUrl}/readyz`, { signal })).json()) as {
            routes: ReadyRoute[];
          }
        ).routes,
      (routes) => `${routes.filter((r) => r.auth !== 'static').length} federated credentials`,
    );
    const rows = STACK_ROUTES.map((name): DemoRow => {
      const state = ready.find((r) => r.route === name);
      const keyEnv = fakes.routes().find((r) => r.name === name)?.auth['key-env'];
      const federated = state !== undefined && state.auth !== 'static';
      return {
        route: name,
        provider: DEMO_ROUTES[name].provider,
        auth: federated ? `${state.auth} -> ${state.provider}` : `static key (${keyEnv})`,
        hops: federated ? hopsOf(running, state.provider) : '-',
        json: answers.get(name)!.json,
        stream: answers.get(name)!.stream,
        lifetime:
          federated && state.secondsToExpiry !== null
            ? formatLifetime(state.secondsToExpiry)
            : 'static',
      };
    });
    write(`\n${formatDemoTable(rows)}\n\n`);
    closing =
      'Every route answered through the gateway, streaming included. The agent side held only placeholders;\n' +
      'the gateway attached static keys, Entra, GCP and Anthropic federation tokens, and SigV4 signatures\n' +
      'from the fake clouds.\n';
    return DEMO_EXIT.ok;
  } catch (error) {
    if (signal.aborted) {
      write('\ninterrupted: stopping what the demo started\n');
      return DEMO_EXIT.interrupted;
    }
    const stepName = error instanceof DemoStepError ? error.step : 'demo';
    write(`\ndemo failed at step "${stepName}": ${(error as Error).message}\n`);
    const problems = gateway ? gatewayProblems(gateway) : [];
    if (problems.length > 0) write(`\nthe gateway logged:\n${problems.join('\n')}\n`);
    if (stack && stack.faults.length > 0) {
      const flags = stack.faults.map((fault) => `--fail ${fault}`).join(' ');
      write(
        `\nto diagnose: npm run fakes -- ${flags}, then in another shell source the file it names and run npm run doctor\n`,
      );
    }
    return DEMO_EXIT.failed;
  } finally {
    const startedAt = performance.now();
    write('  stopping the gateway and the fakes ... ');
    await gateway?.stop();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
    write(`done (${seconds(performance.now() - startedAt)})\n`);
    if (closing) write(`\n${closing}`);
  }
}

async function send(
  gateway: GatewayProcess,
  route: StackRouteName,
  kind: 'json' | 'stream',
  request: DemoRequest,
  signal: AbortSignal,
): Promise<TimedAnswer> {
  const stepName = `request ${route} (${kind})`;
  let answer: TimedAnswer;
  try {
    answer = await timedRequest(gateway.url(route), request, signal);
  } catch (error) {
    throw new DemoStepError(stepName, (error as Error).message);
  }
  if (answer.status !== 200 || !answer.contentType.includes(request.contentType)) {
    throw new DemoStepError(
      stepName,
      `HTTP ${answer.status} (${answer.contentType || 'no content type'}): ${answer.head.replace(/\s+/g, ' ').slice(0, 400)}`,
    );
  }
  return answer;
}

/** The hops of the provider's latest acquisition, from the gateway's `credential.acquired` log line. */
function hopsOf(gateway: GatewayProcess, provider: string): string {
  const acquired = gateway
    .logs()
    .filter((line) => line.event === 'credential.acquired' && line.provider === provider)
    .at(-1);
  const hops = (acquired?.hops ?? []) as Array<{ hop: string; durationMs: number }>;
  return hops.map((hop) => `${hop.hop} ${Math.round(hop.durationMs)} ms`).join(', ') || '-';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The gateway's last warnings and errors, one line each: event, error and fix (never a whole log line). */
function gatewayProblems(gateway: GatewayProcess): string[] {
  const lines = gateway
    .logs()
    .filter((line) => typeof line.level === 'number' && line.level >= 40)
    .slice(-3)
    .map((line) => {
      const fix = typeof line.fix === 'string' ? `\n      fix: ${line.fix}` : '';
      return `  ${String(line.event)}: ${String(line.error ?? line.msg ?? '')}`.slice(0, 400) + fix;
    });
  // A failing exchange is retried: the same problem logged again says nothing new.
  return [...new Set(lines)];
}
