import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiUpstream } from '@keyless/fakes';
import type { FakeUpstream } from '@keyless/fakes';
import { startGatewayProcess } from '../harness/gateway-process.ts';

describe('graceful shutdown', () => {
  let openai: FakeUpstream;
  beforeAll(async () => {
    openai = await startOpenAiUpstream({ holdAfter: 1 });
  });
  afterAll(async () => openai?.close());

  it('on SIGTERM stops accepting, lets the request in flight finish, and exits 0', async () => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: 'sk-shutdown-0123456789',
      OPENAI_API_TARGET: openai.url,
    });
    const url = gateway.url('openai');
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', stream: true, messages: [] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await openai.stream.waitFor('held');

    const exit = gateway.stop('SIGTERM');
    // New connections are refused once the listener is closed.
    await expect
      .poll(async () =>
        fetch(`${url}/health`).then(
          () => 'open',
          () => 'refused',
        ),
      )
      .toBe('refused');

    openai.stream.release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain('[DONE]');
    expect(await exit).toBe(0);
    expect(gateway.logs().some((line) => line.event === 'gateway.stopped')).toBe(true);
  });

  it('closes requests still open after the grace bound and still exits 0', async () => {
    const gateway = await startGatewayProcess({
      OPENAI_API_KEY: 'sk-shutdown-0123456789',
      OPENAI_API_TARGET: openai.url,
      KEYLESS_SHUTDOWN_GRACE_MS: '200',
    });
    const res = await fetch(`${gateway.url('openai')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', stream: true, messages: [] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    expect(await gateway.stop('SIGTERM')).toBe(0);
    await expect(
      (async () => {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
      })(),
    ).rejects.toThrow();
    expect(gateway.logs().some((line) => line.event === 'gateway.grace_expired')).toBe(true);
    openai.stream.release();
  });
});
