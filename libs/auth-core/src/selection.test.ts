import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import type { ProviderPlugin } from './plugin.ts';
import {
  AWF_AUTH_OIDC_AUDIENCE,
  AWF_AUTH_PROVIDER,
  AWF_AUTH_TYPE,
  selectFederation,
} from './selection.ts';
import type { Environment } from './settings.ts';

function plugin(
  name: string,
  copilotProviderTypes: string[],
  authTypes = ['github-oidc'],
): ProviderPlugin {
  return {
    name,
    authTypes,
    copilotProviderTypes,
    route: { name: 'openai' },
    settings: [],
    parseConfig: () => Object.freeze({}),
    credentialKey: () => name,
    acquire: () => Promise.reject(new Error('not in selection tests')),
    apply: () => {},
  };
}

const azure = plugin('azure', ['azure']);
const gcp = plugin('gcp', ['vertex', 'gcp']);
const aws = plugin('aws', ['bedrock', 'aws']);
const plugins = [azure, gcp, aws];

describe('selection settings', () => {
  it('map to the workflow frontmatter keys', () => {
    expect(
      [AWF_AUTH_TYPE, AWF_AUTH_PROVIDER, AWF_AUTH_OIDC_AUDIENCE].map((s) => [s.env, s.authKey]),
    ).toEqual([
      ['AWF_AUTH_TYPE', 'type'],
      ['AWF_AUTH_PROVIDER', 'provider'],
      ['AWF_AUTH_OIDC_AUDIENCE', 'audience'],
    ]);
  });
});

describe('selectFederation', () => {
  it.each<[string, Environment, ProviderPlugin | undefined]>([
    ['no AWF_AUTH_TYPE: no federation', { AWF_AUTH_PROVIDER: 'azure' }, undefined],
    ['empty AWF_AUTH_TYPE counts as unset', { AWF_AUTH_TYPE: '  ' }, undefined],
    ['AWF_AUTH_PROVIDER decides', { AWF_AUTH_TYPE: 'github-oidc', AWF_AUTH_PROVIDER: 'gcp' }, gcp],
    [
      'AWF_AUTH_PROVIDER wins over COPILOT_PROVIDER_TYPE',
      { AWF_AUTH_TYPE: 'github-oidc', AWF_AUTH_PROVIDER: 'aws', COPILOT_PROVIDER_TYPE: 'azure' },
      aws,
    ],
    ['azure derived', { AWF_AUTH_TYPE: 'github-oidc', COPILOT_PROVIDER_TYPE: 'azure' }, azure],
    ['vertex -> gcp', { AWF_AUTH_TYPE: 'github-oidc', COPILOT_PROVIDER_TYPE: 'vertex' }, gcp],
    ['gcp alias', { AWF_AUTH_TYPE: 'github-oidc', COPILOT_PROVIDER_TYPE: 'gcp' }, gcp],
    ['bedrock -> aws', { AWF_AUTH_TYPE: 'github-oidc', COPILOT_PROVIDER_TYPE: 'bedrock' }, aws],
    ['case-insensitive', { AWF_AUTH_TYPE: 'GitHub-OIDC', AWF_AUTH_PROVIDER: 'Azure' }, azure],
  ])('%s', (_name, env, expected) => {
    const selected = selectFederation(env, plugins);
    expect(selected?.plugin).toBe(expected);
    if (expected) expect(selected?.type).toBe('github-oidc');
  });

  it.each<[string, Environment, RegExp]>([
    [
      'neither variable decides: names both',
      { AWF_AUTH_TYPE: 'github-oidc' },
      /AWF_AUTH_PROVIDER \(engine\.auth\.provider\) is not set and COPILOT_PROVIDER_TYPE is not set either.*azure, gcp, aws/,
    ],
    [
      'COPILOT_PROVIDER_TYPE without a plugin: names both',
      { AWF_AUTH_TYPE: 'github-oidc', COPILOT_PROVIDER_TYPE: 'openai' },
      /AWF_AUTH_PROVIDER.*COPILOT_PROVIDER_TYPE "openai" does not select one/,
    ],
    [
      'unknown provider lists the installed ones',
      { AWF_AUTH_TYPE: 'github-oidc', AWF_AUTH_PROVIDER: 'anthropic' },
      /^AWF_AUTH_PROVIDER \(engine\.auth\.provider\): unknown provider "anthropic"; installed: azure, gcp, aws$/,
    ],
    [
      'unknown auth type lists the supported ones',
      { AWF_AUTH_TYPE: 'static-keys', AWF_AUTH_PROVIDER: 'azure' },
      /^AWF_AUTH_TYPE \(engine\.auth\.type\): unknown auth type "static-keys"; supported: github-oidc$/,
    ],
  ])('%s', (_name, env, message) => {
    const select = () => selectFederation(env, plugins);
    expect(select).toThrow(ConfigError);
    expect(select).toThrow(message);
  });

  it('says that no federated provider plugin is installed when none is registered', () => {
    const select = () =>
      selectFederation({ AWF_AUTH_TYPE: 'github-oidc', AWF_AUTH_PROVIDER: 'azure' }, []);
    expect(select).toThrow(ConfigError);
    expect(select).toThrow(
      /AWF_AUTH_TYPE \(engine\.auth\.type\).*no federated provider plugin is installed/,
    );
  });

  it('rejects a provider that does not serve the auth type', () => {
    const other = plugin('other', [], ['other-oidc']);
    const select = () =>
      selectFederation({ AWF_AUTH_TYPE: 'other-oidc', AWF_AUTH_PROVIDER: 'azure' }, [azure, other]);
    expect(select).toThrow(
      /provider "azure" does not support auth type "other-oidc"; it supports: github-oidc/,
    );
  });
});
