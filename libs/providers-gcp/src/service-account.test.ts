import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { impersonationUrl, parseServiceAccount } from './service-account.ts';

describe('parseServiceAccount', () => {
  it.each([
    'keyless-ci@my-project.iam.gserviceaccount.com',
    'vertex-user@my-project.example.com.iam.gserviceaccount.com',
    '123456789012-compute@developer.gserviceaccount.com',
    'my-project@appspot.gserviceaccount.com',
  ])('accepts %s', (email) => {
    expect(parseServiceAccount(email)).toBe(email);
  });

  it.each([
    'Keyless-CI@my-project.iam.gserviceaccount.com',
    'someone@gmail.com',
    'ci@my-project',
    'ab@my-project.iam.gserviceaccount.com',
    'keyless-ci@my-project.iam.gserviceaccount.com/../x',
    'keyless-ci@my-project.iam.gserviceaccount.com:generateAccessToken',
    'key/less@my-project.iam.gserviceaccount.com',
    'keyless-ci@my-project.iam.gserviceaccount.com.evil.example',
  ])('refuses %s with a ConfigError naming the setting', (email) => {
    expect(() => parseServiceAccount(email)).toThrow(ConfigError);
    expect(() => parseServiceAccount(email)).toThrow(
      'AWF_AUTH_GCP_SERVICE_ACCOUNT (engine.auth.service-account)',
    );
  });
});

describe('impersonationUrl', () => {
  it('builds the generateAccessToken URL with the - project wildcard', () => {
    expect(
      impersonationUrl(
        'https://iamcredentials.googleapis.com',
        'ci-robot@p-123456.iam.gserviceaccount.com',
      ),
    ).toBe(
      'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/ci-robot@p-123456.iam.gserviceaccount.com:generateAccessToken',
    );
  });
});
