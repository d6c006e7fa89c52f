import { configError } from '@keyless/auth-core';
import { GCP_IAM_RESOURCE_HOST, GCP_WORKLOAD_IDENTITY_PROVIDER } from './gcp-settings.ts';

/** A workload identity provider, split into the parts that end up in audiences and fixes. */
export interface WorkloadIdentityProvider {
  /** `projects/N/locations/global/workloadIdentityPools/P/providers/X`. */
  readonly resource: string;
  readonly projectNumber: string;
  readonly poolId: string;
  readonly providerId: string;
}

const SHAPE =
  /^projects\/([^/]+)\/locations\/([^/]+)\/workloadIdentityPools\/([^/]+)\/providers\/([^/]+)$/;
// Pool and provider ids: 4-32 of [a-z0-9-]; Google reserves the `gcp-` prefix.
const ID = /^[a-z0-9-]{4,32}$/;
const EXAMPLE = 'projects/123456789/locations/global/workloadIdentityPools/POOL/providers/PROVIDER';

/**
 * Validates `AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER` strictly (its parts become
 * the STS audience and a URL path), accepting an optional `//iam.googleapis.com/` prefix.
 */
export function parseWorkloadIdentityProvider(value: string): WorkloadIdentityProvider {
  const fail = (problem: string) => configError(GCP_WORKLOAD_IDENTITY_PROVIDER, problem);
  const prefix = `//${GCP_IAM_RESOURCE_HOST}/`;
  if (/^https?:\/\//i.test(value)) {
    throw fail(
      `must be a resource name (${EXAMPLE} or //${GCP_IAM_RESOURCE_HOST}/${EXAMPLE}), not a URL`,
    );
  }
  const resource = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  const match = SHAPE.exec(resource);
  if (!match) throw fail(`must look like ${EXAMPLE}`);
  const [, projectNumber = '', location = '', poolId = '', providerId = ''] = match;
  if (!/^\d{1,20}$/.test(projectNumber)) {
    throw fail(
      `needs the project NUMBER, not the project id "${projectNumber}" (gcloud projects describe PROJECT_ID --format='value(projectNumber)')`,
    );
  }
  if (location !== 'global')
    throw fail(`workload identity pools live in location "global", not "${location}"`);
  for (const [kind, id] of [
    ['pool', poolId],
    ['provider', providerId],
  ] as const) {
    if (!ID.test(id) || id.startsWith('gcp-')) {
      throw fail(
        `${kind} id "${id}" must be 4-32 lowercase letters, digits or hyphens, not starting with "gcp-"`,
      );
    }
  }
  return Object.freeze({ resource, projectNumber, poolId, providerId });
}

/** STS audience of a provider: `//iam.googleapis.com/projects/...`. */
export function stsAudience(provider: WorkloadIdentityProvider): string {
  return `//${GCP_IAM_RESOURCE_HOST}/${provider.resource}`;
}

/** Default GitHub token audience for a provider: `https://iam.googleapis.com/projects/...`. */
export function defaultOidcAudience(provider: WorkloadIdentityProvider): string {
  return `https://${GCP_IAM_RESOURCE_HOST}/${provider.resource}`;
}

/** The pool's principal set, as used in IAM bindings: `principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P`. */
export function poolPrincipalSet(provider: WorkloadIdentityProvider): string {
  return `principalSet://${GCP_IAM_RESOURCE_HOST}/projects/${provider.projectNumber}/locations/global/workloadIdentityPools/${provider.poolId}`;
}
