import { configError, readSetting, type Environment, type Setting } from '@keyless/auth-core';

/** Location of the Vertex AI route's default host (`engine.auth.location`). */
export const GOOGLE_CLOUD_LOCATION: Setting = {
  env: 'GOOGLE_CLOUD_LOCATION',
  authKey: 'location',
  description:
    'Vertex AI location: the vertex route goes to https://LOCATION-aiplatform.googleapis.com when VERTEX_API_TARGET is unset (`global`: aiplatform.googleapis.com)',
};

/** Informational: requests name their project in the path (`engine.auth.project`). */
export const GOOGLE_CLOUD_PROJECT: Setting = {
  env: 'GOOGLE_CLOUD_PROJECT',
  authKey: 'project',
  description:
    'GCP project; informational (Vertex requests carry the project in their path, and the federated identity decides what it may use)',
};

export const COPILOT_INTEGRATION_ID: Setting = {
  env: 'COPILOT_INTEGRATION_ID',
  default: 'agentic-workflows',
  description:
    'Copilot-Integration-Id header on every request of the copilot route to the GitHub Copilot API (not to a BYOK provider)',
};

export const GITHUB_SERVER_URL: Setting = {
  env: 'GITHUB_SERVER_URL',
  description:
    'GitHub instance (set by the runner): `https://TENANT.ghe.com` (GHEC) makes the copilot route default to copilot-api.TENANT.ghe.com, any other non-github.com server (GHES) to api.enterprise.githubcopilot.com',
};

/** Settings of the built-in routes that are not a route's port, upstream or key. */
export const ROUTE_SETTINGS: readonly Setting[] = [
  GOOGLE_CLOUD_LOCATION,
  GOOGLE_CLOUD_PROJECT,
  COPILOT_INTEGRATION_ID,
  GITHUB_SERVER_URL,
];

const LOCATION = /^(?:global|[a-z]+(?:-[a-z]+)+\d+)$/;

/** The Vertex location, validated (it becomes part of a host name), or undefined. */
export function readVertexLocation(env: Environment): string | undefined {
  const location = readSetting(env, GOOGLE_CLOUD_LOCATION)?.toLowerCase();
  if (location !== undefined && !LOCATION.test(location)) {
    throw configError(
      GOOGLE_CLOUD_LOCATION,
      `not a location name: ${JSON.stringify(location)} (e.g. us-central1 or global)`,
    );
  }
  return location;
}
