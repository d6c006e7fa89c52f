import { startFakeStack, STACK_ROUTES, type FakeStack } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../harness/canary.ts';
import { runDoctorProcess, type DoctorRun } from './run-doctor-process.ts';

let stack: FakeStack;
let json: DoctorRun;
let human: DoctorRun;

// One doctor process at a time (each loads every cloud SDK), with room for a busy machine.
beforeAll(async () => {
  stack = await startFakeStack();
  json = await runDoctorProcess(stack, ['--json', '--probe']);
  human = await runDoctorProcess(stack, ['--probe']);
}, 120_000);
afterAll(() => stack.close());

describe('keyless doctor against healthy fakes', () => {
  it('passes every route with exit 0', () => {
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      routes: Array<{ route: string; ok: boolean }>;
    };
    expect(report.ok).toBe(true);
    expect(report.routes.map((r) => [r.route, r.ok])).toEqual(STACK_ROUTES.map((r) => [r, true]));
  });

  it('performs every hop of every provider and probes each upstream', () => {
    const report = JSON.parse(json.stdout) as {
      routes: Array<{
        route: string;
        lifetimeSeconds?: number;
        steps: Array<{ name: string; durationMs?: number }>;
      }>;
    };
    const steps = (route: string) =>
      report.routes.find((r) => r.route === route)?.steps.map((s) => s.name);
    expect(steps('azure-openai')).toEqual([
      'config',
      'github-oidc',
      'entra-token',
      'credential',
      'probe',
    ]);
    expect(steps('vertex')).toEqual([
      'config',
      'github-oidc',
      'gcp-sts',
      'gcp-iam-credentials',
      'credential',
      'probe',
    ]);
    expect(steps('bedrock')).toEqual(['config', 'github-oidc', 'aws-sts', 'credential', 'probe']);
    expect(steps('anthropic-federated')).toEqual([
      'config',
      'github-oidc',
      'anthropic-token',
      'credential',
      'probe',
    ]);
    expect(steps('openai')).toEqual(['config', 'probe']);
    expect(report.routes.find((r) => r.route === 'bedrock')?.lifetimeSeconds).toBeGreaterThan(3500);
    expect(stack.entra.issued).toHaveLength(2);
  });

  it("prints the GitHub token's non-secret claims and a summary table", () => {
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/sub +repo:octo-org\/octo-repo:ref:refs\/heads\/main/);
    expect(human.stdout).toMatch(/aud +sts\.amazonaws\.com/);
    expect(human.stdout).toMatch(
      /job_workflow_ref +octo-org\/octo-repo\/\.github\/workflows\/agent\.yml@refs\/heads\/main/,
    );
    expect(human.stdout).toMatch(
      /^vertex +github-oidc \(gcp\) +github-oidc \d+ms, gcp-sts \d+ms, gcp-iam-credentials \d+ms +\d+ s +ok$/m,
    );
    expect(human.stdout).toContain(`All ${STACK_ROUTES.length} routes passed.`);
  });

  it('prints no secret or token', () => {
    expect(stack.secrets().length).toBeGreaterThan(10);
    expect(
      findLeaks(
        { output: json.stdout + json.stderr + human.stdout + human.stderr },
        stack.secrets(),
      ),
    ).toEqual([]);
  });
});
