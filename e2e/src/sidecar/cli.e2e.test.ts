import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGatewayToExit, startGatewayProcess } from '../harness/gateway-process.ts';
import { REPO_ROOT } from './dockerfile.ts';

/**
 * `keyless ARGS`: through npx as a user of a clone runs it (slow: npm starts
 * first), or straight through node.
 */
async function keyless(
  args: readonly string[],
  env: Record<string, string> = {},
  via: 'npx' | 'node' = 'node',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, prefix] =
    via === 'npx'
      ? ['npx', ['--offline', 'keyless']]
      : [process.execPath, ['apps/gateway/src/main.ts']];
  const child = spawn(command, [...prefix, ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      npm_config_update_notifier: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

function workflowFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-workflow-'));
  const file = join(dir, 'agent.md');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('the keyless command line', () => {
  it('lists its commands and points at the reference with --help', async () => {
    const { code, stdout } = await keyless(['--help'], {}, 'npx');
    expect(code).toBe(0);
    for (const command of ['serve', 'doctor', 'fakes'])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(stdout).toMatch(/README/);
  });

  it('prints AWF_VERSION with --version, else the package version', async () => {
    expect((await keyless(['--version'], { AWF_VERSION: '1.2.3-test' })).stdout.trim()).toBe(
      '1.2.3-test',
    );
    expect((await keyless(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on an unknown command or option, with the usage', async () => {
    const unknown = await keyless(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"[\s\S]*usage: keyless/);
    const option = await runGatewayToExit({}, { args: ['serve', '--bogus'] });
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/--bogus/);
  });
});

describe('api-proxy settings are never silently dropped', () => {
  it('refuses a guard it does not enforce, naming each and what to do', async () => {
    const { code, stderr, stdout } = await runGatewayToExit({
      ANTHROPIC_API_KEY: 'sk-ant-refuse-0123456789',
      AWF_MAX_RUNS: '50',
      AWF_MAX_AI_CREDITS: '10',
    });
    expect(code).toBe(2);
    for (const name of ['AWF_MAX_RUNS', 'AWF_MAX_AI_CREDITS']) {
      expect(stderr).toMatch(
        new RegExp(`${name}: Not among the request policies Keyless enforces .*unset it`),
      );
    }
    expect(stdout).not.toContain('gateway.listening');
  });

  it('starts with harmless api-proxy settings and the shutdown alias', async () => {
    const gateway = await startGatewayProcess({
      ANTHROPIC_API_KEY: 'sk-ant-harmless-0123456789',
      AWF_TOKEN_LOG_DIR: tmpdir(),
      AWF_ANTHROPIC_AUTO_CACHE: '1',
      AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS: '1500',
    });
    expect(await gateway.stop()).toBe(0);
    expect(gateway.logs().find((line) => line.event === 'gateway.stopping')).toMatchObject({
      graceMs: 1500,
    });
  });
});

describe('KEYLESS_CONFIG takes a gh-aw workflow file as is', () => {
  it('reads its frontmatter and ignores the markdown', async () => {
    const file = workflowFile([
      '---',
      'on: {issues: {types: [opened]}}',
      'permissions: {contents: read}',
      'engine:',
      '  id: codex',
      '  model: gpt-5',
      '  env:',
      '    OPENAI_API_TARGET: http://127.0.0.1:9/v1',
      '    OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}',
      'safe-outputs: {create-issue: {}}',
      '---',
      '',
      '# Triage the issue',
      '',
      'Read it --- and label it.',
    ]);
    const gateway = await startGatewayProcess({
      KEYLESS_CONFIG: file,
      OPENAI_API_KEY: 'sk-workflow-0123456789',
    });
    try {
      const routes = gateway.logs().find((line) => line.event === 'gateway.routes') as {
        routes: Array<{ route: string; upstream: string; auth: string }>;
      };
      expect(routes.routes.find((route) => route.route === 'openai')).toMatchObject({
        upstream: 'http://127.0.0.1:9/v1',
        auth: 'static (OPENAI_API_KEY)',
      });
      expect(gateway.output()).toMatch(
        /engine\.env\.OPENAI_API_KEY is a GitHub Actions expression/,
      );
    } finally {
      await gateway.stop();
    }
  });

  it('hands the anthropic engine.auth keys to the anthropic plugin, which validates them', async () => {
    const file = workflowFile([
      '---',
      'engine:',
      '  id: claude',
      '  auth:',
      '    type: github-oidc',
      '    provider: anthropic',
      '    federation-rule-id: fdrl_01',
      '    organization-id: org-01',
      '    service-account-id: svac_01',
      '    workspace-id: wrkspc_01',
      '---',
    ]);
    const { code, stderr } = await runGatewayToExit({
      KEYLESS_CONFIG: file,
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token?api-version=2.0',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-0123456789',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /AWF_AUTH_ANTHROPIC_ORGANIZATION_ID \(engine\.auth\.organization-id\): must be the organization's UUID/,
    );
    expect(stderr).not.toMatch(/unknown key|not installed/);
  });
});
