import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STACK_ROUTES } from '@keyless/fakes';
import { describe, expect, it } from 'vitest';
import { alive } from '../harness/processes.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Token and key shapes the demo must never print (the fakes issue exactly these). */
const SECRET_SHAPES = [
  /eyJ[\w-]{10,}\./,
  /fake-entra\./,
  /ya29\./,
  /sk-fake-/,
  /sk-ant-fake-/,
  /fake-gemini-/,
  /ASIA[A-Z2-7]{16}/,
  /sk-ant-oat01-/,
];

interface DemoRun {
  code: number | null;
  output: string;
}

/** Runs `npm run demo`'s entry; `onOutput` may signal it (Ctrl-C) once the output says so. */
function runDemo(
  args: string[] = [],
  onOutput?: (output: string, pid: number) => void,
): Promise<DemoRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      onOutput?.(output, child.pid!);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The gateway's pid as the demo's progress line shows it. */
function gatewayPid(output: string): number {
  const pid = /pid (\d+)/.exec(output)?.[1];
  if (!pid) throw new Error(`no gateway pid in:\n${output}`);
  return Number(pid);
}

/**
 * Each demo starts a dozen fakes and the gateway and sends 12 requests: one at a time (2 busy
 * cores run them no faster side by side), each with room for a loaded machine.
 */
const DEMO_TIMEOUT_MS = 120_000;

describe('npm run demo', { timeout: DEMO_TIMEOUT_MS }, () => {
  it('sends a plain and a streaming request through every route and prints one table, exit 0', async () => {
    const { code, output } = await runDemo();
    expect(code, output).toBe(0);
    for (const route of STACK_ROUTES) {
      expect(output).toMatch(new RegExp(`^${route} .* json +200 +\\d+ ms +\\d+ ms`, 'm'));
    }
    expect(output.match(/^ +stream +200 +\d+ ms +\d+ ms$/gm)).toHaveLength(STACK_ROUTES.length);
    expect(output).toMatch(/github-oidc -> azure +github-oidc \d+ ms, entra-token \d+ ms/);
    expect(output).toMatch(
      /github-oidc -> gcp +github-oidc \d+ ms, gcp-sts \d+ ms, gcp-iam-credentials \d+ ms/,
    );
    expect(output).toMatch(
      /github-oidc -> aws +github-oidc \d+ ms, aws-sts \d+ ms .* \d+m \d\ds$/m,
    );
    expect(output).toMatch(
      /^anthropic-federated +Anthropic +github-oidc -> anthropic +github-oidc \d+ ms, anthropic-token \d+ ms .* \d+m \d\ds$/m,
    );
    for (const shape of SECRET_SHAPES) expect(output).not.toMatch(shape);
    expect(alive(gatewayPid(output))).toBe(false);
  });

  it('names the failing step and shows the fix when a cloud refuses, exit 1', async () => {
    const { code, output } = await runDemo(['--fail', 'gcp-impersonation-denied']);
    expect(code).toBe(1);
    expect(output).toContain('demo failed at step "request vertex (json)": HTTP 503');
    expect(output).toContain('fix: Grant roles/iam.workloadIdentityUser');
    expect(output).toContain('/attribute.repository/octo-org/octo-repo (');
    expect(output).toContain('to diagnose: npm run fakes -- --fail gcp-impersonation-denied');
    for (const shape of SECRET_SHAPES) expect(output).not.toMatch(shape);
    expect(alive(gatewayPid(output))).toBe(false);
  });

  it('Ctrl-C stops the gateway and the fakes it started, exit 130', async () => {
    let interrupted = false;
    const { code, output } = await runDemo([], (text, pid) => {
      if (!interrupted && /pid \d+/.test(text)) {
        interrupted = true;
        process.kill(pid, 'SIGINT');
      }
    });
    expect(code, output).toBe(130);
    expect(output).toContain('interrupted: stopping what the demo started');
    expect(alive(gatewayPid(output))).toBe(false);
  });
});
