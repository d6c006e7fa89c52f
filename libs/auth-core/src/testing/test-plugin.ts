import { request } from 'undici';
import { ExchangeError } from '../errors.ts';
import type { AcquireContext, FederatedRoute, ProviderPlugin, WireFormat } from '../plugin.ts';
import { AWF_AUTH_OIDC_AUDIENCE } from '../selection.ts';
import { configError, readSetting, requireSetting } from '../settings.ts';
import type { Setting } from '../settings.ts';

/** Name of the test-only provider plugin (`AWF_AUTH_PROVIDER=test`). */
export const TEST_PROVIDER = 'test';

/** GitHub token audience of the test plugin when AWF_AUTH_OIDC_AUDIENCE is unset. */
export const TEST_DEFAULT_AUDIENCE = 'keyless-test';

/** Hop name of the test plugin's exchange. */
export const TEST_EXCHANGE_HOP = 'test-sts';

/** Token endpoint of the fake token service the test plugin exchanges the GitHub token at. */
export const AWF_AUTH_TEST_TOKEN_URL: Setting = {
  env: 'AWF_AUTH_TEST_TOKEN_URL',
  authKey: 'test-token-url',
  description: 'Token endpoint of the fake token service (tests only)',
  required: true,
};

/** The test plugin's frozen configuration. */
export interface TestPluginConfig {
  readonly tokenUrl: string;
  readonly audience: string;
}

/** One exchange of a GitHub token for an access token; `expiresAt` in ms epoch. */
export type TestExchange = (
  idToken: string,
  config: TestPluginConfig,
  context: Pick<AcquireContext, 'signal' | 'egress'>,
) => Promise<{ accessToken: string; expiresAt: number }>;

/** Options of `createTestPlugin`. */
export interface TestPluginOptions {
  name?: string;
  copilotProviderTypes?: readonly string[];
  /** Default `{name: 'openai', whenSet: 'OPENAI_API_TARGET'}`. */
  route?: FederatedRoute;
  /** Default `['bearer']`; `api-key` and `x-api-key` send the token raw in that header. */
  wireFormats?: readonly WireFormat[];
  /** Replaces the HTTP exchange (unit tests without sockets). */
  exchange?: TestExchange;
}

/**
 * A test-only provider plugin: mints a GitHub token, exchanges it at
 * AWF_AUTH_TEST_TOKEN_URL (`POST {subject_token, audience}` ->
 * `{access_token, expires_in}`) and sends `Authorization: Bearer`. Never
 * register it in a shipped gateway.
 */
export function createTestPlugin(
  options: TestPluginOptions = {},
): ProviderPlugin<TestPluginConfig, string> {
  const exchange = options.exchange ?? httpExchange;
  return {
    name: options.name ?? TEST_PROVIDER,
    authTypes: ['github-oidc'],
    copilotProviderTypes: options.copilotProviderTypes ?? [],
    route: options.route ?? { name: 'openai', whenSet: 'OPENAI_API_TARGET' },
    wireFormats: options.wireFormats ?? ['bearer'],
    settings: [AWF_AUTH_TEST_TOKEN_URL, AWF_AUTH_OIDC_AUDIENCE],
    parseConfig(env) {
      const tokenUrl = requireSetting(env, AWF_AUTH_TEST_TOKEN_URL);
      if (!URL.canParse(tokenUrl)) throw configError(AWF_AUTH_TEST_TOKEN_URL, 'is not a valid URL');
      const audience = readSetting(env, AWF_AUTH_OIDC_AUDIENCE) ?? TEST_DEFAULT_AUDIENCE;
      return Object.freeze({ tokenUrl, audience });
    },
    credentialKey: (config) => JSON.stringify([TEST_PROVIDER, config.tokenUrl, config.audience]),
    async acquire(config, context: AcquireContext) {
      context.signal.throwIfAborted();
      const idToken = await context.mintIdToken(config.audience);
      const { accessToken, expiresAt } = await context.hop(TEST_EXCHANGE_HOP, () =>
        exchange(idToken, config, context),
      );
      context.registerSecret(accessToken);
      return { material: accessToken, expiresAt };
    },
    apply(material, outgoing, wire) {
      if (wire === 'bearer') outgoing.headers.authorization = `Bearer ${material}`;
      else outgoing.headers[wire] = material;
    },
  };
}

/** The default exchange: a POST to the token endpoint through the core's egress. */
const httpExchange: TestExchange = async (idToken, config, { signal, egress }) => {
  const response = await request(config.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject_token: idToken, audience: config.audience }),
    signal,
    dispatcher: egress.dispatcher,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new ExchangeError(
      'KEYLESS_ERR_TEST_EXCHANGE',
      TEST_EXCHANGE_HOP,
      `test token service answered HTTP ${response.statusCode}`,
      { retryable: response.statusCode >= 500, fix: 'check the fake token service' },
    );
  }
  const body = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
  if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw new ExchangeError(
      'KEYLESS_ERR_TEST_EXCHANGE',
      TEST_EXCHANGE_HOP,
      'test token service answered without access_token / expires_in',
    );
  }
  return { accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
};
