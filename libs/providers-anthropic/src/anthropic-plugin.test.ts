import type { OutgoingRequest } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import { describe, expect, it } from 'vitest';
import { anthropicPlugin, createAnthropicPlugin } from './anthropic-plugin.ts';
import type { AnthropicTokenExchange } from './exchange-anthropic-token.ts';

const ENV = {
  AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID: 'fdrl_01abc',
  AWF_AUTH_ANTHROPIC_ORGANIZATION_ID: '00000000-0000-4000-8000-0000000000ab',
  AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID: 'svac_01abc',
};

function outgoing(headers: Record<string, string>): OutgoingRequest {
  return { method: 'POST', origin: 'https://api.anthropic.com', path: '/v1/messages', headers };
}

describe('anthropicPlugin', () => {
  it('mints for the configured audience, exchanges once inside the hop and registers the token', async () => {
    const seen: string[] = [];
    const exchange: AnthropicTokenExchange = async (assertion, config) => {
      seen.push(
        `${assertion === context.minted[0] ? 'minted' : 'other'} ${config.federationRuleId}`,
      );
      return { accessToken: 'sk-ant-oat01-unit', expiresAt: 1_900_000_000_000 };
    };
    const context = fakeAcquireContext();
    const plugin = createAnthropicPlugin({ exchange });
    const credential = await plugin.acquire(plugin.parseConfig(ENV), context);
    expect(credential).toEqual({ material: 'sk-ant-oat01-unit', expiresAt: 1_900_000_000_000 });
    expect(context.audiences).toEqual(['https://api.anthropic.com']);
    expect(seen).toEqual(['minted fdrl_01abc']);
    expect(context.hops).toEqual(['anthropic-token']);
    expect(context.secrets).toContain('sk-ant-oat01-unit');
  });

  it('sends the token as Bearer, drops x-api-key and adds the OAuth beta to the client betas', async () => {
    const request = outgoing({
      'x-api-key': 'placeholder',
      'anthropic-beta': 'prompt-caching-2024-07-31',
      'anthropic-version': '2023-06-01',
    });
    await anthropicPlugin.apply('sk-ant-oat01-unit', request, 'bearer');
    expect(request.headers).toEqual({
      authorization: 'Bearer sk-ant-oat01-unit',
      'anthropic-beta': 'prompt-caching-2024-07-31,oauth-2025-04-20',
      'anthropic-version': '2023-06-01',
    });
  });

  it('serves the anthropic route without a target variable and is chosen by COPILOT_PROVIDER_TYPE=anthropic', () => {
    expect(anthropicPlugin.route).toEqual({ name: 'anthropic' });
    expect(anthropicPlugin.copilotProviderTypes).toEqual(['anthropic']);
  });

  it('keys the credential by every id that changes the token, and by nothing secret', () => {
    const key = (env: Record<string, string>) =>
      anthropicPlugin.credentialKey(anthropicPlugin.parseConfig({ ...ENV, ...env }));
    expect(key({})).toBe(
      'anthropic https://api.anthropic.com/v1/oauth/token 00000000-0000-4000-8000-0000000000ab fdrl_01abc svac_01abc - https://api.anthropic.com',
    );
    expect(key({ AWF_AUTH_ANTHROPIC_WORKSPACE_ID: 'wrkspc_2' })).not.toBe(key({}));
  });

  it('does not mint when the signal is already aborted', async () => {
    const context = fakeAcquireContext();
    context.controller.abort(new Error('shutting down'));
    await expect(
      anthropicPlugin.acquire(anthropicPlugin.parseConfig(ENV), context),
    ).rejects.toThrow('shutting down');
    expect(context.minted).toEqual([]);
  });
});
