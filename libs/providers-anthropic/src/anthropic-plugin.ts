import type {
  AcquireContext,
  AcquiredCredential,
  OutgoingRequest,
  ProviderPlugin,
} from '@keyless/auth-core';
import { OAUTH_BETA, withBeta } from './anthropic-beta.ts';
import { parseAnthropicConfig, type AnthropicConfig } from './anthropic-config.ts';
import { ANTHROPIC_SETTINGS } from './anthropic-settings.ts';
import { ANTHROPIC_TOKEN_HOP } from './errors.ts';
import type { AnthropicTokenExchange } from './exchange-anthropic-token.ts';

/** Seams of the anthropic plugin; each defaults to the real thing. */
export interface AnthropicPluginDeps {
  /** The jwt-bearer exchange (default: a POST to the token URL through the core's egress). */
  readonly exchange?: AnthropicTokenExchange;
}

/**
 * The anthropic plugin: GitHub OIDC -> Anthropic workload identity federation
 * (RFC 7523 jwt-bearer) -> `Authorization: Bearer` on the Anthropic API, with
 * the OAuth beta added to the client's `anthropic-beta` values.
 */
export function createAnthropicPlugin(
  deps: AnthropicPluginDeps = {},
): ProviderPlugin<AnthropicConfig, string> {
  async function acquire(
    config: AnthropicConfig,
    context: AcquireContext,
  ): Promise<AcquiredCredential<string>> {
    context.signal.throwIfAborted();
    const exchange =
      deps.exchange ?? (await import('./exchange-anthropic-token.ts')).exchangeAnthropicToken;
    const assertion = await context.mintIdToken(config.audience);
    const token = await context.hop(ANTHROPIC_TOKEN_HOP, () =>
      exchange(assertion, config, context),
    );
    // The default exchange registered it already; a replaced one may not have.
    context.registerSecret(token.accessToken);
    return { material: token.accessToken, expiresAt: token.expiresAt };
  }

  return Object.freeze({
    name: 'anthropic',
    authTypes: Object.freeze(['github-oidc']),
    copilotProviderTypes: Object.freeze(['anthropic']),
    // api.anthropic.com accepts the token: the route is federated without a target variable.
    route: Object.freeze({ name: 'anthropic' }),
    // An OAuth token is a bearer token: x-api-key carries only API keys.
    wireFormats: Object.freeze(['bearer'] as const),
    settings: ANTHROPIC_SETTINGS,
    parseConfig: parseAnthropicConfig,
    credentialKey: anthropicCredentialKey,
    acquire,
    apply(material: string, request: OutgoingRequest) {
      // An OAuth token is a bearer token: sent as x-api-key the API refuses it.
      delete request.headers['x-api-key'];
      request.headers['authorization'] = `Bearer ${material}`;
      request.headers['anthropic-beta'] = withBeta(request.headers['anthropic-beta'], OAUTH_BETA);
    },
  });
}

/** Cache key: provider, token URL, organization, rule, service account, workspace and audience (no secrets). */
export function anthropicCredentialKey(config: AnthropicConfig): string {
  return [
    'anthropic',
    config.tokenUrl,
    config.organizationId,
    config.federationRuleId,
    config.serviceAccountId,
    config.workspaceId ?? '-',
    config.audience,
  ].join(' ');
}

/** The anthropic provider plugin with its real defaults. */
export const anthropicPlugin: ProviderPlugin<AnthropicConfig, string> = createAnthropicPlugin();
