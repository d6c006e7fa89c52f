import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANY_PORTS_ENV } from '../harness/gateway-process.ts';
import { alive, descendants } from '../harness/processes.ts';
import { REPO_ROOT } from './dockerfile.ts';

describe.runIf(process.platform === 'linux')('npm start', () => {
  it('leaves no orphan when npm itself receives SIGTERM', async () => {
    const env: Record<string, string> = {
      PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      OPENAI_API_KEY: 'sk-npm-start-0123456789',
      npm_config_update_notifier: 'false',
    };
    Object.assign(env, ANY_PORTS_ENV);
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => npm.once('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 25_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('"event":"gateway.listening"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      npm.stdout.on('data', onData);
      npm.stderr.on('data', onData);
      void exited.then(() => reject(new Error(`npm exited early:\n${output}`)));
    });
    const tree = descendants(npm.pid!);
    expect(tree.length).toBeGreaterThan(0);

    npm.kill('SIGTERM');
    await exited;
    // npm waits for its child; give the kernel a moment to reap.
    for (let i = 0; i < 50 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    const orphans = tree.filter(alive);
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    expect(orphans).toEqual([]);
    expect(output).toMatch(/"event":"gateway.signal","signal":"SIGTERM"/);
  });
});
