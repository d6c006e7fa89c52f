import type {
  AcquireContext,
  AcquiredCredential,
  OutgoingRequest,
  ProviderPlugin,
} from '@keyless/auth-core';
import type { AssumeRoleWithWebIdentity } from './assume-role-with-web-identity.ts';
import { AWS_SETTINGS } from './aws-settings.ts';
import { AwsStsMalformedResponseError, STS_HOP } from './errors.ts';
import { mapStsError } from './map-sts-error.ts';
import { parseAwsConfig } from './aws-config.ts';
import type { AwsConfig } from './aws-config.ts';
import type * as SignRequestModule from './sign-request.ts';
import type { AwsCredentials } from './sigv4-headers.ts';

// The AWS SDK and the signer load on first use, so that a gateway that does not federate
// through AWS never holds them in memory.
const assumeRoleLazily: AssumeRoleWithWebIdentity = async (input) =>
  (await import('./assume-role-with-web-identity.ts')).assumeRoleWithWebIdentity(input);
let signer: Promise<typeof SignRequestModule> | undefined;

/** What one acquisition yields: temporary credentials and the region they sign for. */
export interface AwsMaterial {
  readonly credentials: AwsCredentials;
  readonly region: string;
}

/** Seams of the aws plugin; defaults are the real network calls. */
export interface AwsPluginDeps {
  readonly assumeRole?: AssumeRoleWithWebIdentity;
}

/** Calls STS once and turns any failure into a typed AwsStsError. */
async function exchange(
  assumeRole: AssumeRoleWithWebIdentity,
  config: AwsConfig,
  webIdentityToken: string,
  context: AcquireContext,
): Promise<AcquiredCredential<AwsMaterial>> {
  let answer;
  try {
    answer = await assumeRole({
      config,
      webIdentityToken,
      signal: context.signal,
      egress: context.egress,
    });
  } catch (error) {
    throw mapStsError(error, { ...config, assertion: webIdentityToken }, (value, maxChars) =>
      context.remoteText(value, maxChars),
    );
  }
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = answer;
  for (const secret of [accessKeyId, secretAccessKey, sessionToken]) {
    if (secret) context.registerSecret(secret);
  }
  const expiresAt = expiration?.getTime();
  if (!sessionToken || expiresAt === undefined || Number.isNaN(expiresAt)) {
    throw new AwsStsMalformedResponseError(
      `STS AssumeRoleWithWebIdentity for ${config.roleArn} answered without ${sessionToken ? 'Expiration' : 'SessionToken'}`,
      { fix: 'Check that AWS_ENDPOINT_URL_STS points at an STS endpoint' },
    );
  }
  const credentials = Object.freeze({ accessKeyId, secretAccessKey, sessionToken });
  return { material: Object.freeze({ credentials, region: config.region }), expiresAt };
}

/**
 * The aws provider plugin: GitHub OIDC -> STS AssumeRoleWithWebIdentity, then
 * SigV4 (service `bedrock`) on every request to the bedrock route.
 */
export function createAwsPlugin(
  options: AwsPluginDeps = {},
): ProviderPlugin<AwsConfig, AwsMaterial> {
  const assumeRole = options.assumeRole ?? assumeRoleLazily;
  return Object.freeze({
    name: 'aws',
    authTypes: Object.freeze(['github-oidc']),
    copilotProviderTypes: Object.freeze(['bedrock', 'aws']),
    route: Object.freeze({ name: 'bedrock' }),
    // STS session credentials only sign: a Bedrock API key would be bearer, these are not.
    wireFormats: Object.freeze(['signature'] as const),
    settings: AWS_SETTINGS,
    signsBody: true,
    parseConfig: parseAwsConfig,
    credentialKey(config: AwsConfig): string {
      return ['aws', config.roleArn, config.audience, config.region, config.stsEndpoint ?? ''].join(
        '|',
      );
    },
    async acquire(
      config: AwsConfig,
      context: AcquireContext,
    ): Promise<AcquiredCredential<AwsMaterial>> {
      // The core times the GitHub OIDC hop itself.
      const webIdentityToken = await context.mintIdToken(config.audience);
      return context.hop(STS_HOP, () => exchange(assumeRole, config, webIdentityToken, context));
    },
    apply(material: AwsMaterial, request: OutgoingRequest): Promise<void> {
      signer ??= import('./sign-request.ts');
      return signer.then(({ signRequest }) =>
        signRequest(material.credentials, material.region, request),
      );
    },
  });
}

/** The aws plugin with its real STS call. */
export const awsPlugin: ProviderPlugin<AwsConfig, AwsMaterial> = createAwsPlugin();
