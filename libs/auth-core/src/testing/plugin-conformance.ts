import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import type { OutgoingRequest, ProviderPlugin } from '../plugin.ts';
import { settingLabel } from '../settings.ts';
import type { Environment } from '../settings.ts';
import { fakeAcquireContext } from './fake-acquire-context.ts';

/** Where a plugin's exchanges go during the acquire checks (usually the e2e fakes). */
export interface ConformanceBackend {
  /** A complete configuration pointing at the backend. */
  readonly env: Environment;
  /** Mints a GitHub OIDC token the backend accepts. */
  mintIdToken(audience: string): Promise<string>;
  /** Dispatcher of fetch-based hops (e.g. a MockAgent); default direct egress. */
  readonly dispatcher?: Dispatcher;
  close?(): Promise<void> | void;
}

/** Options of `describePluginConformance`. */
export interface PluginConformanceOptions<C, M> {
  plugin: ProviderPlugin<C, M>;
  /** A complete, valid configuration (no backend needed). */
  env: Environment;
  /** Starts a backend for the acquire checks; they are skipped without it. */
  backend?: () => Promise<ConformanceBackend>;
  /** The secrets inside structured material that the plugin must register itself. */
  secretsOf?: (material: M) => readonly string[];
}

/**
 * The checks every provider plugin must pass (SPEC section 1, plugin author):
 * declarations, config validation naming each setting, a stable secret-free
 * credential key, one fresh GitHub token per exchange, no caching, an expiry,
 * signal handling, and `apply` changing the request. Call it inside a test file.
 */
export function describePluginConformance<C, M>(options: PluginConformanceOptions<C, M>): void {
  const { plugin, env } = options;

  describe(`plugin conformance: ${plugin.name}`, () => {
    it('declares a lower-case name, auth types, a route and documented settings', () => {
      expect(plugin.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(plugin.authTypes.length).toBeGreaterThan(0);
      expect(plugin.route.name).toMatch(/^[a-z]+$/);
      const names = plugin.settings.map((setting) => setting.env);
      expect(new Set(names).size).toBe(names.length);
      for (const setting of plugin.settings) {
        expect(setting.env).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(setting.description.length).toBeGreaterThan(0);
      }
    });

    it('parses a valid configuration into a frozen value with a stable credential key', () => {
      const config = plugin.parseConfig(env);
      expect(Object.isFrozen(config)).toBe(true);
      expect(plugin.credentialKey(plugin.parseConfig({ ...env }))).toBe(
        plugin.credentialKey(config),
      );
      const secret = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
      if (secret) expect(plugin.credentialKey(config)).not.toContain(secret);
    });

    for (const setting of plugin.settings.filter((candidate) => candidate.required)) {
      it(`rejects a configuration without ${setting.env}, naming it`, () => {
        const parse = () => plugin.parseConfig({ ...env, [setting.env]: undefined });
        expect(parse).toThrow(ConfigError);
        expect(parse).toThrow(settingLabel(setting));
      });
    }

    if (!options.backend) return;
    const startBackend = options.backend;
    let backend: ConformanceBackend;
    beforeAll(async () => {
      backend = await startBackend();
    });
    afterAll(async () => {
      await backend?.close?.();
    });

    function context() {
      return fakeAcquireContext({
        mint: (audience) => backend.mintIdToken(audience),
        ...(backend.dispatcher ? { dispatcher: backend.dispatcher } : {}),
      });
    }

    it('performs one exchange per acquire with a fresh GitHub token, never caching', async () => {
      const config = plugin.parseConfig(backend.env);
      const first = context();
      const one = await plugin.acquire(config, first);
      const second = context();
      const two = await plugin.acquire(config, second);
      expect(first.minted.length).toBeGreaterThan(0);
      expect(second.minted.length).toBeGreaterThan(0);
      expect(second.minted).not.toContain(first.minted[0]);
      for (const credential of [one, two]) {
        expect(Number.isNaN(credential.expiresAt)).toBe(false);
        expect(credential.expiresAt).toBeGreaterThan(Date.now());
      }
      for (const secret of options.secretsOf?.(one.material) ?? []) {
        expect(first.secrets).toContain(secret);
      }
    });

    it('attaches the credential to a request', async () => {
      const config = plugin.parseConfig(backend.env);
      const { material } = await plugin.acquire(config, context());
      const request: OutgoingRequest = {
        method: 'POST',
        origin: 'https://upstream.example',
        path: '/v1/test?x=1',
        headers: { 'content-type': 'application/json' },
        body: new TextEncoder().encode('{}'),
      };
      await plugin.apply(material, request);
      expect(Object.keys(request.headers).length).toBeGreaterThan(1);
      for (const name of Object.keys(request.headers)) expect(name).toBe(name.toLowerCase());
    });

    it('rejects when its signal is already aborted', async () => {
      const config = plugin.parseConfig(backend.env);
      const aborted = context();
      aborted.controller.abort(new Error('shutting down'));
      await expect(plugin.acquire(config, aborted)).rejects.toBeDefined();
    });
  });
}
