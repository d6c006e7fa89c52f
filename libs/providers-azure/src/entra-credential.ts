import type { Agent } from 'node:http';
import {
  ClientAssertionCredential,
  type ClientAssertionCredentialOptions,
  type TokenCredential,
} from '@azure/identity';
import type { AzureConfig } from './azure-config.ts';
import type { PipelinePolicy } from './wire-policy.ts';

/** What one acquisition needs to build its credential. */
export interface EntraCredentialInit {
  readonly tenantId: string;
  readonly clientId: string;
  /** Returns the GitHub token to present; MSAL calls it twice per getToken. */
  readonly getAssertion: () => Promise<string>;
  readonly options: ClientAssertionCredentialOptions;
}

/** Seam for the exchange: builds a NEW credential per acquisition, so MSAL's per-object cache never hides a refresh. */
export type EntraCredentialFactory = (init: EntraCredentialInit) => TokenCredential;

/** The real factory: @azure/identity's ClientAssertionCredential. */
export const createClientAssertionCredential: EntraCredentialFactory = (init) =>
  new ClientAssertionCredential(init.tenantId, init.clientId, init.getAssertion, init.options);

/**
 * The SDK's own retries, shortened: the core already retries failed exchanges with backoff, and
 * the SDK's defaults (3 retries, 1 s base delay) make an Entra 5xx take ~5 s to surface.
 */
export const ENTRA_RETRY_OPTIONS = Object.freeze({
  maxRetries: 1,
  retryDelayInMs: 200,
  maxRetryDelayInMs: 1000,
});

/**
 * Options for the credential of one acquisition: explicit authority (never the SDK's own read of
 * AZURE_AUTHORITY_HOST), no instance discovery (which would call login.microsoftonline.com first),
 * short retries, the egress agent and the plugin's pipeline policies.
 */
export function entraCredentialOptions(
  config: AzureConfig,
  agent: Agent,
  policies: readonly PipelinePolicy[],
): ClientAssertionCredentialOptions {
  return {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: true,
    retryOptions: { ...ENTRA_RETRY_OPTIONS },
    // Never follow a redirect (the SDK follows same-origin ones by default): the 3xx reaches
    // the wire policy and mapEntraError refuses it by name.
    redirectOptions: { maxRetries: 0 },
    agent,
    additionalPolicies: policies.map((policy) => ({ policy, position: 'perCall' as const })),
  };
}
