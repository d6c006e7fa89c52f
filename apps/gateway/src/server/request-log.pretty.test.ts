import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOpenAiUpstream, type FakeUpstream } from '@keyless/fakes';
import { REDACTED } from '@keyless/auth-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const KEY = 'sk-pretty-log-static-key-0123456789';

/** The real gateway process with KEYLESS_LOG_FORMAT=pretty: what a person reads on a terminal. */
describe('KEYLESS_LOG_FORMAT=pretty', () => {
  let upstream: FakeUpstream;
  let output = '';
  let stop: () => Promise<void>;
  let openaiUrl: string;

  beforeAll(async () => {
    upstream = await startOpenAiUpstream();
    const child = spawn(process.execPath, [MAIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        OPENAI_API_KEY: KEY,
        OPENAI_API_TARGET: upstream.url,
        KEYLESS_LOG_FORMAT: 'pretty',
        KEYLESS_OPENAI_PORT: '0',
        KEYLESS_ANTHROPIC_PORT: '0',
        KEYLESS_COPILOT_PORT: '0',
        KEYLESS_GEMINI_PORT: '0',
        KEYLESS_VERTEX_PORT: '0',
        KEYLESS_BEDROCK_PORT: '0',
        KEYLESS_MANAGEMENT_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    stop = async () => {
      child.kill('SIGTERM');
      await closed;
    };
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    openaiUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 30_000);
      const look = () => {
        const url =
          /INFO: keyless is listening[\s\S]*?"openai": "(http:\/\/127\.0\.0\.1:\d+)"/.exec(
            output,
          )?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      };
      child.stdout.on('data', look);
      child.once('close', () => reject(new Error(`gateway exited:\n${output}`)));
    });
  }, 40_000);
  afterAll(async () => {
    await stop?.();
    await upstream?.close();
  });

  it('prints a readable request line, with the secret in a path redacted', async () => {
    const chat = JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] });
    const ok = await fetch(`${openaiUrl}/v1/chat/completions?note=${KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat,
    });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const leaked = await fetch(`${openaiUrl}/v1/files/${KEY}`);
    await leaked.arrayBuffer();
    await stop();

    expect(output).toMatch(/^\[[\d:.]+\] INFO: POST \/v1\/chat\/completions 200 \d+ms$/m);
    expect(output).toMatch(
      new RegExp(
        `^\\[[\\d:.]+\\] INFO: GET /v1/files/${escape(REDACTED)} ${leaked.status} \\d+ms$`,
        'm',
      ),
    );
    // Every line has a message: none is a bare level.
    expect(output).not.toMatch(/INFO:\s*$/m);
    // Not JSON: the pretty printer wrote it.
    expect(output).not.toContain('"event":"request"');
    expect(output).not.toContain(KEY);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
