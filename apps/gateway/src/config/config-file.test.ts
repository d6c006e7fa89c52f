import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { PROVIDER_PLUGINS } from '../plugins.ts';
import { parseConfigFile } from './config-file.ts';

const parse = (lines: string[]) =>
  parseConfigFile(lines.join('\n'), 'keyless.yaml', PROVIDER_PLUGINS);

describe('parseConfigFile: the workflow engine block', () => {
  it('applies engine.env and maps engine.auth keys to their variables, ignoring agent keys', () => {
    const file = parse([
      'engine:',
      '  id: copilot',
      '  version: 1.0.0',
      '  model: gpt-5',
      '  max-turns: 10',
      '  args: [--verbose]',
      '  env:',
      '    COPILOT_PROVIDER_BASE_URL: https://r.openai.azure.com/openai',
      '    COPILOT_PROVIDER_TYPE: azure',
      '    KEYLESS_BODY_LIMIT: 2048',
      '  auth:',
      '    type: github-oidc',
      '    audience: api://AzureADTokenExchange',
      '    azure-tenant-id: contoso.onmicrosoft.com',
      '    azure-client-id: 11111111-1111-1111-1111-111111111111',
    ]);
    expect(file.env).toEqual({
      COPILOT_PROVIDER_BASE_URL: 'https://r.openai.azure.com/openai',
      COPILOT_PROVIDER_TYPE: 'azure',
      KEYLESS_BODY_LIMIT: '2048',
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_OIDC_AUDIENCE: 'api://AzureADTokenExchange',
      AWF_AUTH_AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
      AWF_AUTH_AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
    });
    expect(file.routes).toBeUndefined();
  });

  it.each([
    ['workload-identity-provider', 'AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER'],
    ['service-account', 'AWF_AUTH_GCP_SERVICE_ACCOUNT'],
    ['aws-role-arn', 'AWF_AUTH_AWS_ROLE_ARN'],
    ['aws-region', 'AWF_AUTH_AWS_REGION'],
    ['aws-role-session-name', 'AWF_AUTH_AWS_ROLE_SESSION_NAME'],
    ['azure-scope', 'AWF_AUTH_AZURE_SCOPE'],
    ['azure-cloud', 'AWF_AUTH_AZURE_CLOUD'],
    ['provider', 'AWF_AUTH_PROVIDER'],
  ])('maps engine.auth.%s to %s', (key, variable) => {
    expect(parse(['engine:', '  auth:', `    ${key}: value-1`]).env).toEqual({
      [variable]: 'value-1',
    });
  });

  it('names the key and line of an unknown engine.auth key', () => {
    expect(() =>
      parse(['engine:', '  auth:', '    type: github-oidc', '    tenant-id: x']),
    ).toThrow(/keyless\.yaml:4: unknown key engine\.auth\.tenant-id/);
  });

  it('rejects unknown top-level keys, invalid YAML and non-scalar values', () => {
    expect(() => parse(['engine: {}', 'extra: 1'])).toThrow(
      /keyless\.yaml:2: unknown top-level key extra/,
    );
    expect(() => parse(['engine: [unclosed'])).toThrow(ConfigError);
    expect(() => parse(['engine:', '  env:', '    A: [1, 2]'])).toThrow(
      /engine\.env\.A must be a scalar/,
    );
  });
});

describe('parseConfigFile: a routes list', () => {
  it('reads each route with its auth block', () => {
    const file = parse([
      'routes:',
      '  - name: openai',
      '    port: 11000',
      '    upstream: https://api.openai.com',
      '    flavor: openai',
      '    auth: { type: static, key-env: OPENAI_API_KEY }',
      '  - name: vertex',
      '    port: 11001',
      '    upstream: https://us-east5-aiplatform.googleapis.com',
      '    flavor: google',
      '    auth:',
      '      type: github-oidc',
      '      provider: gcp',
      '      workload-identity-provider: projects/1/locations/global/workloadIdentityPools/p/providers/x',
    ]);
    expect(file.routes).toHaveLength(2);
    expect(file.routes![0]).toMatchObject({
      name: 'openai',
      port: 11000,
      flavor: 'openai',
      keyEnv: 'OPENAI_API_KEY',
    });
    expect(file.routes![1]).toMatchObject({
      name: 'vertex',
      flavor: 'google',
      authEnv: {
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'gcp',
        AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER:
          'projects/1/locations/global/workloadIdentityPools/p/providers/x',
      },
    });
  });

  it.each([
    [
      [
        'routes:',
        '  - name: a',
        '    port: 1',
        '    upstream: h',
        '    flavor: openai',
        '    colour: red',
        '    auth: {type: static, key-env: K}',
      ],
      /:6: unknown key routes\[0\]\.colour/,
    ],
    [
      [
        'routes:',
        '  - name: a',
        '    port: 99999',
        '    upstream: h',
        '    flavor: openai',
        '    auth: {type: static, key-env: K}',
      ],
      /routes\[0\]\.port must be a port number/,
    ],
    [
      [
        'routes:',
        '  - name: a',
        '    port: 1',
        '    upstream: h',
        '    flavor: cobol',
        '    auth: {type: static, key-env: K}',
      ],
      /routes\[0\]\.flavor must be one of/,
    ],
    [
      [
        'routes:',
        '  - name: a',
        '    port: 1',
        '    flavor: openai',
        '    auth: {type: static, key-env: K}',
      ],
      /routes\[0\]\.upstream is required/,
    ],
    [
      [
        'routes:',
        '  - name: a',
        '    port: 1',
        '    upstream: h',
        '    flavor: openai',
        '    auth: {type: static}',
      ],
      /routes\[0\]\.auth: use/,
    ],
    [
      [
        'routes:',
        '  - name: a',
        '    port: 1',
        '    upstream: h',
        '    flavor: openai',
        '    auth: {type: github-oidc, bogus: 1}',
      ],
      /unknown key routes\[0\]\.auth\.bogus/,
    ],
  ])('rejects %j', (lines, message) => {
    expect(() => parse(lines)).toThrow(message);
  });
});

describe('parseConfigFile: a gh-aw workflow file as is', () => {
  const workflow = [
    '---',
    'on:',
    '  issues:',
    '    types: [opened]',
    'permissions:',
    '  id-token: write',
    'engine:',
    '  id: copilot',
    '  env:',
    '    COPILOT_PROVIDER_BASE_URL: https://r.openai.azure.com/openai',
    '    COPILOT_PROVIDER_API_KEY: ${{ secrets.AZURE_KEY }}',
    '  auth:',
    '    type: github-oidc',
    '    provider: gcp',
    '    workload-identity-provider: projects/1/locations/global/workloadIdentityPools/p/providers/g',
    '    project: my-project',
    '    location: us-east5',
    'tools:',
    '  github:',
    '---',
    '',
    '# Triage',
    '',
    'engine: this markdown is not YAML --- and is ignored',
  ];

  it('reads the frontmatter, ignores the markdown and the other frontmatter keys', () => {
    const file = parseConfigFile(workflow.join('\n'), 'triage.md', PROVIDER_PLUGINS);
    expect(file.env).toEqual({
      COPILOT_PROVIDER_BASE_URL: 'https://r.openai.azure.com/openai',
      AWF_AUTH_TYPE: 'github-oidc',
      AWF_AUTH_PROVIDER: 'gcp',
      AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER:
        'projects/1/locations/global/workloadIdentityPools/p/providers/g',
      GOOGLE_CLOUD_PROJECT: 'my-project',
      GOOGLE_CLOUD_LOCATION: 'us-east5',
    });
  });

  it('skips a GitHub Actions expression with a note naming the variable and line', () => {
    const file = parseConfigFile(workflow.join('\n'), 'triage.md', PROVIDER_PLUGINS);
    expect(file.notes).toEqual([
      'triage.md:11: engine.env.COPILOT_PROVIDER_API_KEY is a GitHub Actions expression; set COPILOT_PROVIDER_API_KEY in the environment instead',
    ]);
  });

  it('accepts `engine: copilot` and keeps file line numbers in errors', () => {
    expect(parseConfigFile('---\non: push\nengine: copilot\n---\n', 'w.md', []).env).toEqual({});
    expect(() =>
      parseConfigFile('---\non: push\nengine:\n  auth:\n    nope: 1\n---\n', 'w.md', []),
    ).toThrow(/w\.md:5: unknown key engine\.auth\.nope/);
  });

  it('maps the Anthropic keys to the anthropic plugin settings', () => {
    const file = parse([
      'engine:',
      '  auth:',
      '    type: github-oidc',
      '    provider: anthropic',
      '    federation-rule-id: fdrl_1',
      '    organization-id: org-1',
      '    service-account-id: svac_1',
      '    workspace-id: wrkspc_1',
    ]);
    expect(file.env).toMatchObject({
      AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_1',
      AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: 'org-1',
      AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_1',
      AWF_AUTH_ANTHROPIC_WORKSPACE_ID: 'wrkspc_1',
    });
  });

  it('still refuses unknown top-level keys in a plain YAML file', () => {
    expect(() => parse(['on: push', 'engine: {id: copilot}'])).toThrow(ConfigError);
  });
});
