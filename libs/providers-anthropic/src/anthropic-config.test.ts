import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { parseAnthropicConfig } from './anthropic-config.ts';

const ORG = '00000000-0000-4000-8000-0000000000ab';
const ENV = {
  AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_01abc',
  AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: ORG.toUpperCase(),
  AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_01abc',
};

describe('parseAnthropicConfig', () => {
  it('applies the documented defaults and never keeps an empty workspace', () => {
    const config = parseAnthropicConfig({ ...ENV, AWF_AUTH_ANTHROPIC_WORKSPACE_ID: '  ' });
    expect(config).toEqual({
      federationRuleId: 'fdrl_01abc',
      organizationId: ORG,
      serviceAccountId: 'svac_01abc',
      tokenUrl: 'https://api.anthropic.com/v1/oauth/token',
      audience: 'https://api.anthropic.com',
    });
    expect('workspaceId' in config).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps a workspace id, `default`, a token URL and an audience', () => {
    const config = parseAnthropicConfig({
      ...ENV,
      AWF_AUTH_ANTHROPIC_WORKSPACE_ID: 'default',
      AWF_AUTH_ANTHROPIC_TOKEN_URL: 'http://127.0.0.1:8080/v1/oauth/token',
      AWF_AUTH_OIDC_AUDIENCE: 'anthropic-prod',
    });
    expect(config).toMatchObject({
      workspaceId: 'default',
      tokenUrl: 'http://127.0.0.1:8080/v1/oauth/token',
      audience: 'anthropic-prod',
    });
    expect(
      parseAnthropicConfig({ ...ENV, AWF_AUTH_ANTHROPIC_WORKSPACE_ID: 'wrkspc_9' }).workspaceId,
    ).toBe('wrkspc_9');
  });

  it.each([
    [
      { AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: undefined },
      'AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID (engine.auth.federation-rule-id): is required',
    ],
    [
      { AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'fdrl_x' },
      'AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID (engine.auth.service-account-id): "fdrl_x" is a fdrl_... id, which belongs in AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID',
    ],
    [
      { AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'rule 1' },
      'AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID (engine.auth.federation-rule-id): must be a tagged id such as fdrl_...',
    ],
    [
      { AWF_AUTH_ANTHROPIC_WORKSPACE_ID: 'ws_1' },
      'AWF_AUTH_ANTHROPIC_WORKSPACE_ID (engine.auth.workspace-id): must start with wrkspc_',
    ],
    [
      { AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: 'svac_01abc' },
      "AWF_AUTH_ANTHROPIC_ORGANIZATION_ID (engine.auth.organization-id): must be the organization's UUID",
    ],
    [
      { AWF_AUTH_ANTHROPIC_TOKEN_URL: 'http://anthropic.internal/v1/oauth/token' },
      'AWF_AUTH_ANTHROPIC_TOKEN_URL: must use https (plain http only to localhost)',
    ],
    [
      { AWF_AUTH_ANTHROPIC_TOKEN_URL: 'https://user:pw@anthropic.internal/t' },
      'AWF_AUTH_ANTHROPIC_TOKEN_URL: must not carry credentials',
    ],
    [
      { AWF_AUTH_OIDC_AUDIENCE: 'a b' },
      'AWF_AUTH_OIDC_AUDIENCE (engine.auth.audience): must be a single audience',
    ],
  ])('refuses %j, naming the setting', (change, message) => {
    const parse = () => parseAnthropicConfig({ ...ENV, ...change });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });
});
