import { describe, expect, it } from 'vitest';
import { ConfigError } from '@keyless/auth-core';
import type { Environment } from '@keyless/auth-core';
import { DEFAULT_AWS_AUDIENCE, DEFAULT_SESSION_DURATION_SECONDS } from './aws-settings.ts';
import { parseAwsConfig } from './aws-config.ts';

const ROLE = 'arn:aws:iam::123456789012:role/gh-bedrock';
const BASE: Environment = { AWF_AUTH_AWS_ROLE_ARN: ROLE, AWF_AUTH_AWS_REGION: 'us-east-1' };

function configErrorOf(env: Environment): ConfigError {
  try {
    parseAwsConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('parseAwsConfig accepted the environment');
}

describe('parseAwsConfig', () => {
  it('applies the defaults to a minimal environment and freezes the result', () => {
    const config = parseAwsConfig(BASE);
    expect(config).toEqual({
      roleArn: ROLE,
      partition: 'aws',
      region: 'us-east-1',
      roleSessionName: 'keyless',
      durationSeconds: DEFAULT_SESSION_DURATION_SECONDS,
      audience: DEFAULT_AWS_AUDIENCE,
      stsEndpoint: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every optional setting', () => {
    const config = parseAwsConfig({
      ...BASE,
      AWF_AUTH_AWS_ROLE_SESSION_NAME: 'ci@org.example',
      AWF_AUTH_AWS_SESSION_DURATION: '900',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4566',
      AWF_AUTH_OIDC_AUDIENCE: 'my-audience',
    });
    expect(config.roleSessionName).toBe('ci@org.example');
    expect(config.durationSeconds).toBe(900);
    expect(config.stsEndpoint).toBe('http://127.0.0.1:4566');
    expect(config.audience).toBe('my-audience');
  });

  it.each([
    ['arn:aws:iam::123456789012:role/gh-bedrock', 'us-east-1', 'aws'],
    ['arn:aws:iam::123456789012:role/service-role/ci/gh_bedrock+x=y,z.@-', 'eu-central-1', 'aws'],
    ['arn:aws-cn:iam::123456789012:role/gh', 'cn-north-1', 'aws-cn'],
    ['arn:aws-us-gov:iam::123456789012:role/gh', 'us-gov-west-1', 'aws-us-gov'],
  ])('accepts role %s in region %s (partition %s)', (roleArn, region, partition) => {
    const config = parseAwsConfig({ AWF_AUTH_AWS_ROLE_ARN: roleArn, AWF_AUTH_AWS_REGION: region });
    expect(config.partition).toBe(partition);
  });

  it.each([
    'arn:aws:iam::12345678901:role/short-account',
    'arn:aws:iam::123456789012:user/not-a-role',
    'arn:aws:sts::123456789012:assumed-role/r/s',
    'arn:aws-iso:iam::123456789012:role/gh',
    'arn:aws:iam::123456789012:role/',
    'arn:aws:iam::123456789012:role/has space',
    '123456789012',
  ])('rejects role ARN %s naming the variable and frontmatter key', (roleArn) => {
    const error = configErrorOf({ ...BASE, AWF_AUTH_AWS_ROLE_ARN: roleArn });
    expect(error.message).toMatch(/^AWF_AUTH_AWS_ROLE_ARN \(engine\.auth\.aws-role-arn\): /);
  });

  it('requires the role ARN', () => {
    expect(configErrorOf({ AWF_AUTH_AWS_REGION: 'us-east-1' }).message).toBe(
      'AWF_AUTH_AWS_ROLE_ARN (engine.auth.aws-role-arn): is required',
    );
  });

  it('rejects a role ARN from another partition than the region', () => {
    const error = configErrorOf({
      AWF_AUTH_AWS_ROLE_ARN: 'arn:aws-cn:iam::123456789012:role/gh',
      AWF_AUTH_AWS_REGION: 'us-east-1',
    });
    expect(error.message).toContain('partition aws-cn but region us-east-1 is in partition aws');
  });

  it('falls back to AWS_REGION, and AWF_AUTH_AWS_REGION wins over it', () => {
    expect(parseAwsConfig({ AWF_AUTH_AWS_ROLE_ARN: ROLE, AWS_REGION: 'eu-west-1' }).region).toBe(
      'eu-west-1',
    );
    expect(parseAwsConfig({ ...BASE, AWS_REGION: 'eu-west-1' }).region).toBe('us-east-1');
  });

  it('names both region variables when neither is set', () => {
    expect(configErrorOf({ AWF_AUTH_AWS_ROLE_ARN: ROLE, AWS_REGION: '  ' }).message).toBe(
      'AWF_AUTH_AWS_REGION (engine.auth.aws-region): is required (or set AWS_REGION)',
    );
  });

  it.each(['US-EAST-1', 'us-east', 'us-east-1.evil.example', 'us_east_1', 'us-east-1/'])(
    'rejects region %s',
    (region) => {
      expect(configErrorOf({ ...BASE, AWF_AUTH_AWS_REGION: region }).message).toMatch(
        /^AWF_AUTH_AWS_REGION \(engine\.auth\.aws-region\): .* is not an AWS region/,
      );
      expect(configErrorOf({ AWF_AUTH_AWS_ROLE_ARN: ROLE, AWS_REGION: region }).message).toMatch(
        /^AWS_REGION: /,
      );
    },
  );

  it('derives the session name from the run id and attempt, sanitised to STS characters', () => {
    expect(
      parseAwsConfig({ ...BASE, GITHUB_RUN_ID: '9876543210', GITHUB_RUN_ATTEMPT: '2' })
        .roleSessionName,
    ).toBe('keyless-9876543210-2');
    expect(parseAwsConfig({ ...BASE, GITHUB_RUN_ID: '42' }).roleSessionName).toBe('keyless-42-1');
    const odd = parseAwsConfig({
      ...BASE,
      GITHUB_RUN_ID: 'a b/c:d'.repeat(20),
      GITHUB_RUN_ATTEMPT: '1',
    }).roleSessionName;
    expect(odd).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(odd.startsWith('keyless-a-b-c-d')).toBe(true);
  });

  it.each(['x', 'a'.repeat(65), 'has space', 'slash/name'])(
    'rejects the explicit session name %s',
    (name) => {
      expect(configErrorOf({ ...BASE, AWF_AUTH_AWS_ROLE_SESSION_NAME: name }).message).toMatch(
        /^AWF_AUTH_AWS_ROLE_SESSION_NAME \(engine\.auth\.aws-role-session-name\): /,
      );
    },
  );

  it.each(['899', '43201', '3600s', '1e3', '-900', '3600.5'])(
    'rejects session duration %s',
    (duration) => {
      expect(configErrorOf({ ...BASE, AWF_AUTH_AWS_SESSION_DURATION: duration }).message).toMatch(
        /^AWF_AUTH_AWS_SESSION_DURATION: .* between 900 and 43200/,
      );
    },
  );

  it('accepts the duration bounds', () => {
    expect(
      parseAwsConfig({ ...BASE, AWF_AUTH_AWS_SESSION_DURATION: '43200' }).durationSeconds,
    ).toBe(43_200);
  });

  it.each(['sts.amazonaws.com', 'ftp://sts.example', 'https://sts.example/?a=1'])(
    'rejects STS endpoint %s',
    (endpoint) => {
      expect(configErrorOf({ ...BASE, AWS_ENDPOINT_URL_STS: endpoint }).message).toMatch(
        /^AWS_ENDPOINT_URL_STS: /,
      );
    },
  );

  it('leaves the egress proxy to the core: proxy variables do not change the config', () => {
    const config = parseAwsConfig({ ...BASE, https_proxy: 'http://proxy:3128' });
    expect(config).toEqual(parseAwsConfig(BASE));
  });
});
