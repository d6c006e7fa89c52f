import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../harness/gateway-process.ts';

const run = promisify(execFile);

/** Whether 0.0.0.0:`port` can be bound right now (the check closes its listener again). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '0.0.0.0', exclusive: true }, () =>
      probe.close(() => resolve(true)),
    );
  });
}

/**
 * The image's HEALTHCHECK, literally, against the gateway as the image runs it:
 * the default openai port, bound to 0.0.0.0, with only another route configured.
 */
describe("the image's literal health check", () => {
  it('`curl -f http://localhost:10000/health` passes with only ANTHROPIC_API_KEY set', async (ctx) => {
    if (!(await portIsFree(10000))) ctx.skip(); // a developer's api-proxy or gateway holds it
    const gateway = await startGatewayProcess({
      KEYLESS_HOST: '0.0.0.0',
      KEYLESS_OPENAI_PORT: '10000',
      ANTHROPIC_API_KEY: 'sk-ant-healthcheck-0123456789',
    });
    try {
      expect(gateway.url('openai')).toMatch(/:10000$/);
      // As the firewall's compose file runs it: NO_PROXY keeps localhost off any proxy.
      const { stdout } = await run('curl', ['-f', 'http://localhost:10000/health'], {
        env: { PATH: process.env.PATH ?? '', NO_PROXY: 'localhost,127.0.0.1,::1' },
        timeout: 10_000,
      });
      expect(JSON.parse(stdout)).toMatchObject({
        status: 'healthy',
        route: 'openai',
        configured: false,
      });
    } finally {
      await gateway.stop();
    }
  });
});
