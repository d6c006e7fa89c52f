import type { Environment } from '@keyless/auth-core';

/** `Copilot-Integration-Id` sent to the GitHub Copilot API unless COPILOT_INTEGRATION_ID says otherwise. */
export const DEFAULT_COPILOT_INTEGRATION_ID = 'agentic-workflows';

const PUBLIC_COPILOT_API = 'api.githubcopilot.com';
const GHES_COPILOT_API = 'api.enterprise.githubcopilot.com';

/** Copilot hosts that take a GitHub token as `token <value>` rather than `Bearer <value>`. */
const TOKEN_SCHEME_HOSTS = new Set([GHES_COPILOT_API, 'api.business.githubcopilot.com']);
const GHEC_COPILOT_HOST = /^copilot-api\.[^.]+\.ghe\.com$/;

type ServerKind = { kind: 'github' | 'ghes' | 'none' } | { kind: 'ghec'; tenant: string };

/** What GITHUB_SERVER_URL says about the GitHub instance: github.com, GHEC (`*.ghe.com`) or GHES. */
function githubServer(env: Environment): ServerKind {
  const raw = env.GITHUB_SERVER_URL?.trim();
  if (!raw) return { kind: 'none' };
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    return { kind: 'none' };
  }
  if (host === 'github.com') return { kind: 'github' };
  if (host.endsWith('.ghe.com')) return { kind: 'ghec', tenant: host.slice(0, -'.ghe.com'.length) };
  return { kind: 'ghes' };
}

/**
 * The GitHub Copilot API the copilot route reaches without BYOK, as the
 * api-proxy derives it: COPILOT_API_TARGET, else from GITHUB_SERVER_URL
 * (GHEC `https://TENANT.ghe.com` -> `copilot-api.TENANT.ghe.com`, any other
 * non-github.com server -> the enterprise endpoint), else the public API.
 */
export function copilotApiTarget(env: Environment): { value: string; variable: string } {
  const explicit = env.COPILOT_API_TARGET?.trim();
  if (explicit) return { value: explicit, variable: 'COPILOT_API_TARGET' };
  const server = githubServer(env);
  if (server.kind === 'ghec')
    return {
      value: `https://copilot-api.${server.tenant}.ghe.com`,
      variable: 'GITHUB_SERVER_URL (GHEC)',
    };
  if (server.kind === 'ghes')
    return { value: `https://${GHES_COPILOT_API}`, variable: 'GITHUB_SERVER_URL (GHES)' };
  return { value: `https://${PUBLIC_COPILOT_API}`, variable: 'COPILOT_API_TARGET (default)' };
}

/**
 * The scheme of the `Authorization` header that carries COPILOT_GITHUB_TOKEN
 * `token` to `host`: a fine-grained PAT (`github_pat_`) is always `Bearer`,
 * whatever the host (the Copilot API rejects it as `token`; gh-aw-firewall
 * issue 8035). Otherwise the enterprise, business and GHEC Copilot hosts
 * authenticate the GitHub token itself and want `token`; so does any custom
 * host on GHES (AWF_PLATFORM_TYPE=ghes or a GHES GITHUB_SERVER_URL, unless
 * AWF_PLATFORM_TYPE names another platform). Everything else gets `Bearer`.
 */
export function githubTokenScheme(
  host: string,
  env: Environment,
  token: string,
): 'token' | 'Bearer' {
  if (token.startsWith('github_pat_')) return 'Bearer';
  if (TOKEN_SCHEME_HOSTS.has(host) || GHEC_COPILOT_HOST.test(host)) return 'token';
  const platform = env.AWF_PLATFORM_TYPE?.trim().toLowerCase();
  if (platform) return platform === 'ghes' ? 'token' : 'Bearer';
  return githubServer(env).kind === 'ghes' ? 'token' : 'Bearer';
}

/** Headers the copilot route sends to the GitHub Copilot API (not to a BYOK provider). */
export function copilotIntegrationHeaders(env: Environment): Record<string, string> {
  return {
    'copilot-integration-id': env.COPILOT_INTEGRATION_ID?.trim() || DEFAULT_COPILOT_INTEGRATION_ID,
  };
}
