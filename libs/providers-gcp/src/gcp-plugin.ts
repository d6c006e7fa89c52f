import type { AcquireContext, OutgoingRequest, ProviderPlugin } from '@keyless/auth-core';
import type { GcpAcquireDeps, GcpMaterial } from './acquire-gcp-token.ts';
import { GCP_SETTINGS } from './gcp-settings.ts';
import { parseGcpConfig, type GcpConfig } from './gcp-config.ts';

/** Seams of the gcp plugin (the client factory and the per-hop timeout); each defaults to the real thing. */
export type GcpPluginDeps = GcpAcquireDeps;

/** Cache key of the credential: provider, identity (direct or service account), audience and scopes; no secrets. */
export function gcpCredentialKey(config: GcpConfig): string {
  return JSON.stringify([
    'gcp',
    config.provider.resource,
    config.serviceAccount ?? 'direct',
    config.oidcAudience,
    config.scopes.join(' '),
  ]);
}

/** Sets `Authorization: Bearer` and drops `x-goog-api-key`, which Vertex would otherwise try first. */
export function applyGcpToken(material: GcpMaterial, request: OutgoingRequest): void {
  request.headers.authorization = `Bearer ${material.accessToken}`;
  delete request.headers['x-goog-api-key'];
}

/** Builds the GCP plugin; `deps` replace the network seams in tests. */
export function createGcpPlugin(deps: GcpPluginDeps = {}): ProviderPlugin<GcpConfig, GcpMaterial> {
  return Object.freeze({
    name: 'gcp',
    authTypes: Object.freeze(['github-oidc']),
    copilotProviderTypes: Object.freeze(['vertex', 'gcp']),
    route: Object.freeze({ name: 'vertex' }),
    wireFormats: Object.freeze(['bearer'] as const),
    settings: GCP_SETTINGS,
    parseConfig: parseGcpConfig,
    credentialKey: gcpCredentialKey,
    // google-auth-library loads on the first exchange: a gateway without gcp never holds it.
    acquire: async (config: GcpConfig, context: AcquireContext) =>
      (await import('./acquire-gcp-token.ts')).acquireGcpToken(config, context, deps),
    apply: applyGcpToken,
  });
}

/** GitHub OIDC -> GCP Workload Identity Federation (+ optional service-account impersonation) for Vertex AI. */
export const gcpPlugin: ProviderPlugin<GcpConfig, GcpMaterial> = createGcpPlugin();
