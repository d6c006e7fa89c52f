import { fromWebToken } from '@aws-sdk/credential-providers';
import type { PluginEgress } from '@keyless/auth-core';
import type { AwsConfig } from './aws-config.ts';
import { createStsRequestHandler } from './sts-request-handler.ts';

/** Temporary credentials as STS returns them. */
export interface StsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Absent only in malformed answers. */
  readonly expiration?: Date;
}

/** One STS AssumeRoleWithWebIdentity call. */
export interface AssumeRoleRequest {
  readonly config: AwsConfig;
  /** A freshly minted GitHub OIDC token. */
  readonly webIdentityToken: string;
  readonly signal: AbortSignal;
  /** The core's egress: the STS call goes through its proxy (the AWS SDK reads no proxy variable). */
  readonly egress: PluginEgress;
}

/** The network seam of the plugin: one real STS call per invocation, never cached. */
export type AssumeRoleWithWebIdentity = (request: AssumeRoleRequest) => Promise<StsCredentials>;

/**
 * The real STS call through `fromWebToken`. A new provider, STS client and
 * request handler per call: `fromWebToken` itself does not memoize, and the
 * client's retries are off (`maxAttempts: 1`) because the core retries.
 */
export const assumeRoleWithWebIdentity: AssumeRoleWithWebIdentity = async ({
  config,
  webIdentityToken,
  signal,
  egress,
}) => {
  const requestHandler = createStsRequestHandler(egress, signal);
  try {
    const provider = fromWebToken({
      roleArn: config.roleArn,
      roleSessionName: config.roleSessionName,
      webIdentityToken,
      durationSeconds: config.durationSeconds,
      clientConfig: {
        region: config.region,
        maxAttempts: 1,
        requestHandler,
        ...(config.stsEndpoint === undefined ? {} : { endpoint: config.stsEndpoint }),
      },
    });
    return await provider();
  } finally {
    requestHandler.destroy();
  }
};
