import { MockAgent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { ExchangeError } from '../errors.ts';
import { fakeAcquireContext } from './fake-acquire-context.ts';
import { describePluginConformance } from './plugin-conformance.ts';
import { createTestPlugin } from './test-plugin.ts';

const ORIGIN = 'http://127.0.0.1:7777';
const ENV = { AWF_AUTH_TEST_TOKEN_URL: `${ORIGIN}/token`, AWF_AUTH_OIDC_AUDIENCE: 'aud-x' };

function mockTokenService(): { agent: MockAgent; bodies: unknown[] } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const bodies: unknown[] = [];
  agent
    .get(ORIGIN)
    .intercept({ path: '/token', method: 'POST' })
    .reply(200, (options) => {
      const body = JSON.parse(String(options.body)) as { subject_token: string };
      bodies.push(body);
      return { access_token: `access-for-${body.subject_token}`, expires_in: 600 };
    })
    .persist();
  return { agent, bodies };
}

let minted = 0;
const service = mockTokenService();

describePluginConformance({
  plugin: createTestPlugin(),
  env: ENV,
  backend: async () => ({
    env: ENV,
    mintIdToken: async () => `github-token-${++minted}`,
    dispatcher: service.agent,
    exchanges: () => service.bodies.length,
  }),
});

function context(dispatcher: MockAgent) {
  return fakeAcquireContext({
    mint: async (audience) => `github-token-for-${audience}`,
    dispatcher,
  });
}

afterAll(async () => {
  await service.agent.close();
});

describe('createTestPlugin', () => {
  it('exchanges the minted token over the core egress and registers the access token', async () => {
    const { agent, bodies } = mockTokenService();
    const plugin = createTestPlugin();
    const acquireContext = context(agent);
    const before = Date.now();
    const credential = await plugin.acquire(plugin.parseConfig(ENV), acquireContext);
    expect(bodies).toEqual([{ subject_token: 'github-token-for-aud-x', audience: 'aud-x' }]);
    expect(credential.material).toBe('access-for-github-token-for-aud-x');
    expect(credential.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(acquireContext.secrets).toEqual(['access-for-github-token-for-aud-x']);
    await agent.close();
  });

  it('turns an HTTP error into an ExchangeError naming the hop', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get(ORIGIN).intercept({ path: '/token', method: 'POST' }).reply(503, 'down');
    const plugin = createTestPlugin();
    const acquiring = plugin.acquire(plugin.parseConfig(ENV), context(agent));
    await expect(acquiring).rejects.toBeInstanceOf(ExchangeError);
    await expect(acquiring).rejects.toMatchObject({ hop: 'test-sts', retryable: true });
    await agent.close();
  });

  it('rejects an invalid token URL at parse time', () => {
    const plugin = createTestPlugin();
    expect(() => plugin.parseConfig({ AWF_AUTH_TEST_TOKEN_URL: 'not a url' })).toThrow(
      'AWF_AUTH_TEST_TOKEN_URL (engine.auth.test-token-url): is not a valid URL',
    );
  });
});
