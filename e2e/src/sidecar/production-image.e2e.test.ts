import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, lstat, mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_PORTS_ENV } from '../harness/gateway-process.ts';
import { execForm, gatewayWorkspaces, readDockerfile, stageEnv } from './dockerfile.ts';
import { fileSnapshot, snapshotChanges } from './file-snapshot.ts';
import { buildProductionFiles } from './production-files.ts';

/**
 * No Docker engine runs here, so this builds the file set the image would
 * hold (the build stage replayed: same COPY lines, same `npm ci --omit=dev`)
 * and runs it the way the image's CMD does, as a direct child, as an
 * unprivileged uid when the tests run as root (compose runs the host's uid).
 */
const stages = readDockerfile();
const build = stages.find((stage) => stage.name === 'build')!;
const runtime = stages.at(-1)!;
const [command, ...cmdArgs] = execForm(
  runtime.instructions.find((instruction) => instruction.keyword === 'CMD')!.args,
)!;
/** The command's node flags, then the entry point and its arguments. */
const entryAt = cmdArgs.findIndex((arg) => !arg.startsWith('-'));
const NOBODY = 65_534;
const asRoot = process.getuid?.() === 0;

let app: string;
let home: string;
let logDir: string;

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'keyless-image-'));
  home = await mkdtemp(join(tmpdir(), 'keyless-home-'));
  logDir = await mkdtemp(join(tmpdir(), 'keyless-log-'));
  // As in the image: /app readable by anyone, the log folder and HOME writable by anyone.
  await chmod(app, 0o755);
  await chmod(home, 0o777);
  await chmod(logDir, 0o1777);
  await buildProductionFiles(build, app);
}, 180_000);

afterAll(async () => {
  for (const dir of [app, home, logDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

interface Started {
  readonly child: ChildProcess;
  readonly urls: Record<string, string>;
  output(): string;
  readonly exited: Promise<number | null>;
}

async function startAsImage(env: Record<string, string>): Promise<Started> {
  expect(command).toBe('node');
  const child = spawn(process.execPath, cmdArgs, {
    cwd: app,
    env: {
      ...stageEnv(runtime),
      AWF_VERSION: 'test-9.9.9',
      // The image listens on 0.0.0.0; tests only ever talk to 127.0.0.1.
      KEYLESS_HOST: '127.0.0.1',
      AWF_TOKEN_LOG_DIR: logDir,
      HOME: home,
      PATH: '/usr/bin:/bin',
      ...ANY_PORTS_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((text) => text.includes('"event":"gateway.listening"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { urls: Record<string, string> }).urls);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, urls, output: () => output, exited };
}

describe('the production file set of the image', () => {
  it('holds production dependencies only, and no tests', async () => {
    const modules = await readdir(join(app, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'eslint', 'prettier', 'nx', 'node', 'vite'])
      expect(modules, dev).not.toContain(dev);
    expect(modules).toContain('fastify');
    const keyless = await readdir(join(app, 'node_modules/@keyless'));
    expect(keyless.map((name) => `@keyless/${name}`).sort()).toEqual(
      [...gatewayWorkspaces().keys()].sort(),
    );
    const sources = await fileSnapshot(join(app, 'libs'));
    for (const path of (await fileSnapshot(join(app, 'apps'))).keys()) sources.set(path, '');
    const shipped = [...sources.keys()].filter((path) => !path.includes('/node_modules/'));
    expect(shipped.filter((path) => path.endsWith('.test.ts'))).toEqual([]);
    expect(shipped.filter((path) => path.includes('/src/testing'))).toEqual([]);
    expect(shipped.filter((path) => /\/(?:tsconfig\.json|vitest\.config\.ts)$/.test(path))).toEqual(
      [],
    );
  });

  it('keeps workspace packages outside node_modules (type stripping refuses files under it)', async () => {
    for (const name of ['gateway', 'auth-core', 'providers-gcp']) {
      const link = join(app, 'node_modules/@keyless', name);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await realpath(link)).not.toContain('/node_modules/');
    }
  });
});

describe('the image command, run as the container would', () => {
  it('answers /health on every route port, writes nothing outside the log folder and /tmp, and stops on SIGTERM', async () => {
    const before = await fileSnapshot(app);
    const gateway = await startAsImage({ ANTHROPIC_API_KEY: 'sk-ant-image-0123456789' });
    try {
      // Only Anthropic is configured, yet the firewall probes the OpenAI port.
      for (const route of ['openai', 'anthropic', 'copilot', 'gemini', 'vertex', 'bedrock']) {
        const health = await fetch(`${gateway.urls[route]}/health`);
        expect(health.status, route).toBe(200);
        expect(await health.json()).toMatchObject({ status: 'healthy' });
      }
      const refused = await fetch(`${gateway.urls.openai}/v1/models`);
      expect(refused.status).toBe(503);
      expect(await refused.text()).toMatch(
        /route_not_configured[\s\S]*OPENAI_API_KEY|OPENAI_API_KEY[\s\S]*route_not_configured/,
      );
    } finally {
      gateway.child.kill('SIGTERM');
    }
    expect(await gateway.exited).toBe(0);
    expect(gateway.output()).toMatch(/"event":"gateway.stopped"/);
    expect(snapshotChanges(before, await fileSnapshot(app))).toEqual([]);
    expect(await readdir(home)).toEqual([]);
    if (asRoot) expect(gateway.output()).not.toMatch(/EACCES|EPERM/);
  });

  it('prints the baked-in version', async () => {
    const child = spawn(process.execPath, [...cmdArgs.slice(0, entryAt + 1), '--version'], {
      cwd: app,
      env: { AWF_VERSION: 'test-9.9.9', PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.resume();
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    expect(stdout.trim()).toBe('test-9.9.9');
  });
});
