import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import {
  defaultOidcAudience,
  parseWorkloadIdentityProvider,
  poolPrincipalSet,
  stsAudience,
} from './workload-identity-provider.ts';

const RESOURCE =
  'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';

describe('parseWorkloadIdentityProvider', () => {
  it('splits a bare resource name into its parts', () => {
    expect(parseWorkloadIdentityProvider(RESOURCE)).toEqual({
      resource: RESOURCE,
      projectNumber: '123456789',
      poolId: 'github-pool',
      providerId: 'github-provider',
    });
  });

  it('accepts the //iam.googleapis.com/ prefix and normalises it away', () => {
    expect(parseWorkloadIdentityProvider(`//iam.googleapis.com/${RESOURCE}`).resource).toBe(
      RESOURCE,
    );
  });

  it('derives the STS audience, the default GitHub audience and the principal set', () => {
    const provider = parseWorkloadIdentityProvider(RESOURCE);
    expect(stsAudience(provider)).toBe(`//iam.googleapis.com/${RESOURCE}`);
    expect(defaultOidcAudience(provider)).toBe(`https://iam.googleapis.com/${RESOURCE}`);
    expect(poolPrincipalSet(provider)).toBe(
      'principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github-pool',
    );
  });

  it.each([
    ['an https URL', `https://iam.googleapis.com/${RESOURCE}`, 'not a URL'],
    [
      'a project id instead of the number',
      RESOURCE.replace('123456789', 'my-project'),
      'project NUMBER',
    ],
    ['a regional location', RESOURCE.replace('global', 'us-central1'), 'location "global"'],
    ['a short pool id', RESOURCE.replace('github-pool', 'abc'), 'pool id "abc"'],
    [
      'an upper-case provider id',
      RESOURCE.replace('github-provider', 'GitHub'),
      'provider id "GitHub"',
    ],
    [
      'the reserved gcp- prefix',
      RESOURCE.replace('github-pool', 'gcp-pool'),
      'not starting with "gcp-"',
    ],
    ['a trailing slash', `${RESOURCE}/`, 'must look like'],
    ['an extra path segment', `${RESOURCE}/../x`, 'must look like'],
    ['a query', `${RESOURCE}?x=1`, 'provider id'],
    [
      'only a pool',
      'projects/1/locations/global/workloadIdentityPools/github-pool',
      'must look like',
    ],
  ])('refuses %s, naming the variable and the frontmatter key', (_, value, problem) => {
    const error = (() => {
      try {
        parseWorkloadIdentityProvider(value);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(
      'AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER (engine.auth.workload-identity-provider)',
    );
    expect((error as Error).message).toContain(problem);
  });
});
