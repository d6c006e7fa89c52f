import { ConfigError, type Environment } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import type { PolicyPlugin, PolicyRefusalCode } from '../policy.ts';
import { fakePolicyContext, policyRequest } from './fake-policy-context.ts';

/** Options of `describePolicyConformance`. */
export interface PolicyConformanceOptions<C> {
  plugin: PolicyPlugin<C>;
  /** Settings that switch the policy on. */
  env: Environment;
  /** Settings each of which must fail startup with a ConfigError naming one of the plugin's settings. */
  invalid?: readonly Environment[];
}

const REFUSALS: readonly PolicyRefusalCode[] = [
  'rate_limited',
  'budget_exhausted',
  'model_not_allowed',
  'payload_too_large',
];

/**
 * The checks every policy plugin must pass: documented settings, off unless
 * configured, a frozen config, startup errors that name the setting, verdicts
 * the gateway can answer with, and a state for `/readyz` and metrics. Call it
 * inside a test file.
 */
export function describePolicyConformance<C>(options: PolicyConformanceOptions<C>): void {
  const { plugin, env } = options;

  describe(`policy conformance: ${plugin.name}`, () => {
    it('declares a lower-case name and documented settings', () => {
      expect(plugin.name).toMatch(/^[a-z][a-z0-9-]*$/);
      const names = plugin.settings.map((setting) => setting.env);
      expect(new Set(names).size).toBe(names.length);
      for (const setting of plugin.settings) {
        expect(setting.env).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(setting.description.length).toBeGreaterThan(0);
      }
    });

    it('is off without its settings and parses its settings into a frozen value', () => {
      expect(plugin.parseConfig({})).toBeUndefined();
      const config = plugin.parseConfig(env);
      expect(config).toBeDefined();
      if (typeof config === 'object' && config !== null) expect(Object.isFrozen(config)).toBe(true);
    });

    it.each(options.invalid ?? [])('refuses %o at startup, naming the setting', (bad) => {
      let error: unknown;
      try {
        plugin.parseConfig({ ...env, ...bad });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const named = plugin.settings.some((setting) =>
        (error as Error).message.startsWith(`${setting.env}`),
      );
      expect(named, (error as Error).message).toBe(true);
    });

    it('answers with verdicts the gateway understands and reports numeric state', () => {
      const policy = plugin.create(plugin.parseConfig(env)!, fakePolicyContext());
      expect(policy.name).toBe(plugin.name);
      for (let i = 0; i < 3; i++) {
        const verdict = policy.check?.(policyRequest());
        if (verdict && 'refuse' in verdict) {
          expect(REFUSALS).toContain(verdict.refuse);
          expect(verdict.message.length).toBeGreaterThan(0);
          if (verdict.retryAfterSeconds !== undefined) {
            expect(Number.isInteger(verdict.retryAfterSeconds)).toBe(true);
            expect(verdict.retryAfterSeconds).toBeGreaterThan(0);
          }
        } else if (verdict && 'model' in verdict) {
          expect(verdict.model.length).toBeGreaterThan(0);
        } else if (verdict) {
          expect(Object.keys(verdict.set).length).toBeGreaterThan(0);
        }
      }
      policy.onUsage?.({
        route: 'openai',
        model: 'gpt-4o',
        inputTokens: 1,
        outputTokens: 1,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      });
      const state = policy.state();
      expect(typeof state.summary).toBe('object');
      for (const reading of state.readings) {
        expect(reading.reading).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(Number.isFinite(reading.value)).toBe(true);
      }
    });
  });
}
