import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { parseModelAliases, resolveAlias, unresolvableTargets } from './model-aliases.ts';

const SETTING = { env: 'AWF_MODEL_ALIASES', description: 'aliases' };
const all = () => true;

const aliases = parseModelAliases(
  {
    models: {
      Sonnet: [
        'copilot/claude-sonnet-4.5',
        'copilot/claude-sonnet-4.6',
        'anthropic/claude-sonnet-4-5',
      ],
      codex: { patterns: ['copilot/gpt-5*-codex', 'openai/gpt-5.1-codex'], fallback: true },
      smart: ['sonnet', 'codex'],
      loop: ['loop', 'openai/gpt-4o'],
      '': ['smart'],
    },
  },
  SETTING,
);

describe('resolveAlias', () => {
  it('picks the highest concrete version of the route, case-insensitively', () => {
    expect(resolveAlias('sonnet', 'copilot', aliases, all)).toBe('claude-sonnet-4.6');
    expect(resolveAlias('SONNET', 'anthropic', aliases, all)).toBe('claude-sonnet-4-5');
    expect(resolveAlias('sonnet', 'openai', aliases, all)).toBeUndefined();
  });

  it('follows nested aliases and the default alias, and ignores loops', () => {
    expect(resolveAlias('smart', 'openai', aliases, all)).toBe('gpt-5.1-codex');
    expect(resolveAlias('', 'anthropic', aliases, all)).toBe('claude-sonnet-4-5');
    expect(resolveAlias('loop', 'openai', aliases, all)).toBe('gpt-4o');
  });

  it('skips targets the model policy refuses and wildcard targets', () => {
    expect(resolveAlias('sonnet', 'copilot', aliases, (m) => !m.endsWith('4.6'))).toBe(
      'claude-sonnet-4.5',
    );
    expect(resolveAlias('codex', 'copilot', aliases, all)).toBeUndefined();
    expect(unresolvableTargets(aliases)).toEqual(['copilot/gpt-5*-codex']);
  });

  it('leaves a model that is no alias, and copilot auto, alone', () => {
    expect(resolveAlias('gpt-4o', 'openai', aliases, all)).toBeUndefined();
    const withAuto = parseModelAliases({ models: { auto: ['copilot/gpt-4o'] } }, SETTING);
    expect(resolveAlias('auto', 'copilot', withAuto, all)).toBeUndefined();
  });
});

describe('parseModelAliases', () => {
  it.each([
    [['sonnet'], /must be a JSON object/],
    [{ sonnet: ['x'] }, /must be a JSON object/],
    [{ models: { sonnet: 'copilot/x' } }, /alias "sonnet" must list its targets/],
    [{ models: { sonnet: ['copilot/x', ''] } }, /alias "sonnet"/],
  ])('refuses %j naming the variable', (value, message) => {
    expect(() => parseModelAliases(value, SETTING)).toThrow(ConfigError);
    expect(() => parseModelAliases(value, SETTING)).toThrow(/^AWF_MODEL_ALIASES: /);
    expect(() => parseModelAliases(value, SETTING)).toThrow(message);
  });
});
