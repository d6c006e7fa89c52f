import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { AWF_VARIABLES } from './awf-variables.ts';
import { refuseAwfVariables } from './refuse-awf-variables.ts';

function refusal(env: Record<string, string>): string | undefined {
  try {
    refuseAwfVariables(env);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe('refuseAwfVariables', () => {
  it('lets supported and harmless variables through', () => {
    expect(
      refusal({
        AWF_TOKEN_LOG_DIR: '/var/log/api-proxy',
        AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS: '8000',
        AWF_ANTHROPIC_AUTO_CACHE: '1',
        AWF_RATE_LIMIT_ENABLED: 'true',
        AWF_RATE_LIMIT_RPM: '60',
        AWF_ALLOWED_MODELS: '["claude-*"]',
        AWF_MAX_EFFECTIVE_TOKENS: '500000',
      }),
    ).toBeUndefined();
  });

  it('names every refused variable at once, with what to do', () => {
    const message = refusal({ AWF_MAX_AI_CREDITS: '1', AWF_MAX_RUNS: '5' });
    expect(message).toMatch(/AWF_MAX_AI_CREDITS: Not among the request policies Keyless enforces/);
    expect(message).toMatch(/AWF_MAX_RUNS: .*unset it/);
  });

  it('refuses AWF_ENABLE_OPENCODE=true only (10004 is the vertex route here)', () => {
    expect(refusal({ AWF_ENABLE_OPENCODE: 'true' })).toMatch(
      /AWF_ENABLE_OPENCODE: .*OpenCode port/,
    );
    expect(refusal({ AWF_ENABLE_OPENCODE: 'false' })).toBeUndefined();
  });

  it('counts empty values as unset', () => {
    expect(refusal({ AWF_MAX_AI_CREDITS: '  ' })).toBeUndefined();
  });

  it('lets the anthropic provider settings through (the plugin validates them)', () => {
    expect(refusal({ AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_1' })).toBeUndefined();
  });

  it('lists each variable once, every name an AWF_ variable', () => {
    const names = AWF_VARIABLES.map((variable) => variable.env);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^AWF_[A-Z0-9_]+$/);
  });
});
