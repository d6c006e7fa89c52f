import type { AccessToken } from '@azure/identity';
import {
  type AcquireContext,
  type AcquiredCredential,
  type OutgoingRequest,
  type ProviderPlugin,
} from '@keyless/auth-core';
import { parseAzureConfig, type AzureConfig } from './azure-config.ts';
import { azureConfigWarnings } from './azure-config-warnings.ts';
import { AZURE_SETTINGS } from './azure-settings.ts';
import type { EntraCredentialFactory } from './entra-credential.ts';
import { ENTRA_HOP, EntraBadResponseError } from './errors.ts';

/** Seams of the azure plugin; each defaults to the real thing. */
export interface AzurePluginDeps {
  /** Builds the SDK credential of one acquisition (default: ClientAssertionCredential). */
  readonly createCredential?: EntraCredentialFactory;
}

/** The azure plugin: GitHub OIDC -> Entra access token -> `Authorization: Bearer` on Azure OpenAI. */
export function createAzurePlugin(deps: AzurePluginDeps = {}): ProviderPlugin<AzureConfig, string> {
  async function acquire(
    config: AzureConfig,
    context: AcquireContext,
  ): Promise<AcquiredCredential<string>> {
    context.signal.throwIfAborted();
    // @azure/identity loads on the first exchange: a gateway without azure never holds it.
    const [
      { createClientAssertionCredential, entraCredentialOptions },
      { mapEntraError },
      { createWirePolicy },
    ] = await Promise.all([
      import('./entra-credential.ts'),
      import('./map-entra-error.ts'),
      import('./wire-policy.ts'),
    ]);
    const createCredential = deps.createCredential ?? createClientAssertionCredential;
    // Minted once, up front, and handed to MSAL as a constant: MSAL calls the assertion callback
    // twice per getToken, one after the other (so the core's sharing of concurrent mints would not
    // merge them), and a GitHub failure then surfaces as the core's own error instead of MSAL's.
    const assertion = await context.mintIdToken(config.audience);
    const wire = createWirePolicy(context.signal, (value) => context.registerSecret(value));
    // The core's egress (its proxy and NO_PROXY rules): handing the SDK an agent also stops its own
    // proxy policy, which reads process.env. Keep-alive: the metadata GET and the token POST share
    // one connection.
    const agent = context.egress.createAgent(config.authorityHost, { keepAlive: true });
    let token: AccessToken | null;
    try {
      const credential = createCredential({
        tenantId: config.tenantId,
        clientId: config.clientId,
        getAssertion: async () => assertion,
        options: entraCredentialOptions(config, agent, [wire.policy]),
      });
      token = await context.hop(ENTRA_HOP, () =>
        credential.getToken(config.scope, { abortSignal: context.signal }),
      );
    } catch (error) {
      context.signal.throwIfAborted();
      throw mapEntraError(error, {
        config,
        assertion,
        wire: wire.lastExchange(),
        proxyUrl: context.egress.proxyUrlFor(config.authorityHost),
        remoteText: (value, maxChars) => context.remoteText(value, maxChars),
      });
    } finally {
      agent.destroy();
    }

    if (!token?.token) {
      throw new EntraBadResponseError(
        `Entra at ${config.authorityHost} answered without an access token`,
        {
          cause: undefined,
          fix: `check that ${config.authorityHost} is Entra and that nothing in between rewrites its answers`,
        },
      );
    }
    context.registerSecret(token.token);
    // MSAL turns a missing or bad expires_in into "expires now"; serving that would refresh in a loop.
    if (!Number.isFinite(token.expiresOnTimestamp) || token.expiresOnTimestamp <= Date.now()) {
      throw new EntraBadResponseError(
        `Entra at ${config.authorityHost} answered with a token that has no future expiry`,
        {
          cause: undefined,
          fix: `check that ${config.authorityHost} is Entra: its token answers carry expires_in`,
        },
      );
    }
    return { material: token.token, expiresAt: token.expiresOnTimestamp };
  }

  return Object.freeze({
    name: 'azure',
    authTypes: Object.freeze(['github-oidc']),
    copilotProviderTypes: Object.freeze(['azure']),
    route: Object.freeze({ name: 'openai', whenSet: 'OPENAI_API_TARGET' }),
    // An Entra token is a bearer token: api-key carries only Azure resource keys.
    wireFormats: Object.freeze(['bearer'] as const),
    settings: AZURE_SETTINGS,
    parseConfig: parseAzureConfig,
    configWarnings: azureConfigWarnings,
    credentialKey: azureCredentialKey,
    acquire,
    apply(material: string, request: OutgoingRequest) {
      // Azure OpenAI accepts either header; a client's placeholder api-key must not travel with the token.
      delete request.headers['api-key'];
      request.headers['authorization'] = `Bearer ${material}`;
    },
  });
}

/** Cache key: provider, authority, tenant, client, audience and scope (no secrets); space-free parts. */
export function azureCredentialKey(config: AzureConfig): string {
  return [
    'azure',
    config.authorityHost,
    config.tenantId,
    config.clientId,
    config.audience,
    config.scope,
  ].join(' ');
}

/** The azure provider plugin with its real SDK defaults. */
export const azurePlugin: ProviderPlugin<AzureConfig, string> = createAzurePlugin();
