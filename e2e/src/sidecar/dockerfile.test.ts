import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, execForm, gatewayWorkspaces, readDockerfile, stageEnv } from './dockerfile.ts';

const stages = readDockerfile();
const runtime = stages.at(-1)!;
const build = stages.find((stage) => stage.name === 'build')!;
const instructions = (keyword: string) =>
  runtime.instructions.filter((instruction) => instruction.keyword === keyword);

describe('the Dockerfile keeps the sidecar contract (SPEC section 12)', () => {
  it('is multi-stage on Node 22 (slim or alpine), the same base for both stages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build).toBeDefined();
    for (const stage of stages) expect(stage.from).toMatch(/^node:22(?:\.\d+)*-(?:alpine|slim)/);
    expect(runtime.from).toBe(build.from);
  });

  it('installs production dependencies only, without install scripts', () => {
    const install = build.instructions.filter((i) => i.keyword === 'RUN' && /npm ci/.test(i.args));
    expect(install).toHaveLength(1);
    expect(install[0]!.args).toMatch(/--omit=dev/);
    expect(install[0]!.args).toMatch(/--ignore-scripts/);
    // The runtime stage takes files from the build stage only, never an install of its own.
    expect(instructions('RUN').some((i) => /npm (?:ci|install)/.test(i.args))).toBe(false);
    for (const copy of instructions('COPY')) expect(copy.args).toMatch(/^--from=build /);
  });

  it('has curl for the health check and no npm at run time', () => {
    const run = instructions('RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toMatch(/apk add --no-cache curl|apt-get install[^\n]*\bcurl\b/);
    expect(run).toMatch(/rm -rf [^\n]*\/usr\/local\/lib\/node_modules/);
  });

  it('runs as a non-root user, with a log folder any uid can write', () => {
    const user = instructions('USER').at(-1);
    expect(user?.args).toBeDefined();
    expect(user!.args).not.toMatch(/^(?:root|0)(?::|$)/);
    expect(
      instructions('RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toMatch(/mkdir -p \/var\/log\/api-proxy && chmod 1777 \/var\/log\/api-proxy/);
  });

  it('listens on every interface, with the version baked in', () => {
    const env = stageEnv(runtime);
    expect(env.KEYLESS_HOST).toBe('0.0.0.0');
    expect(env.AWF_VERSION).toBe('${AWF_VERSION}');
    expect(env.AWF_TOKEN_LOG_DIR).toBe('/var/log/api-proxy');
    expect(instructions('ARG').map((i) => i.args)).toContain('AWF_VERSION=0.0.0-dev');
  });

  it('exposes the api-proxy ports, Bedrock and the management port', () => {
    const ports = instructions('EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(ports.sort()).toEqual(['10000', '10001', '10002', '10003', '10004', '10005', '10009']);
  });

  it("health-checks like the firewall: curl -f on port 10000's /health", () => {
    const check = instructions('HEALTHCHECK');
    expect(check).toHaveLength(1);
    const [, command = ''] = check[0]!.args.split(/\s+CMD\s+/);
    expect(execForm(command)).toEqual(['curl', '-f', 'http://localhost:10000/health']);
    expect(check[0]!.args).toMatch(/--interval=2s/);
    expect(check[0]!.args).toMatch(/--retries=15/);
    expect(check[0]!.args).toMatch(/--start-period=30s/);
  });

  it('starts node directly as PID 1 (exec form, no shell, no npm)', () => {
    const cmd = instructions('CMD');
    expect(cmd).toHaveLength(1);
    expect(execForm(cmd[0]!.args)).toEqual([
      'node',
      // A heap ceiling that fits the firewall's 512 MiB container limit.
      '--max-old-space-size=256',
      'apps/gateway/src/main.ts',
      'serve',
    ]);
    expect(instructions('ENTRYPOINT')).toHaveLength(0);
  });

  it('copies the gateway and every workspace package it needs into the build stage', () => {
    const copied = build.instructions
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const dir of gatewayWorkspaces().values()) {
      expect(
        copied.some((source) => dir === source || dir.startsWith(`${source}/`)),
        `${dir} is not copied`,
      ).toBe(true);
    }
    // The test-only and dev-only packages stay out.
    for (const source of copied) expect(source).not.toMatch(/^(?:e2e|bench)(?:\/|$)/);
  });

  it('keeps the build context small: .dockerignore leaves out node_modules, git and tests', () => {
    const ignore = readFileSync(`${REPO_ROOT}.dockerignore`, 'utf8').split('\n');
    for (const entry of ['**/node_modules', '.git', 'e2e', 'bench'])
      expect(ignore).toContain(entry);
  });
});
