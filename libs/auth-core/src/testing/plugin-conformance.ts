import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ExchangeError } from '../errors.ts';
import { WIRE_FORMATS } from '../plugin.ts';
import type { OutgoingRequest, ProviderPlugin, WireFormat } from '../plugin.ts';
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
  /**
   * Exchanges the backend answered so far, over every hop (token endpoint,
   * impersonation, ...): each acquire must add at least one, or some hop is cached.
   */
  exchanges?(): number;
  close?(): Promise<void> | void;
}

/** Secrets the suite puts in the environment: none may reach a credential key, warning or error. */
export const CONFORMANCE_ENV_SECRETS = Object.freeze({
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'conformance-request-token-7f3a9c',
  HTTPS_PROXY: 'http://proxyuser:conformance-proxy-password-51e2@127.0.0.1:9',
});
const ENV_SECRET_VALUES = ['conformance-request-token-7f3a9c', 'conformance-proxy-password-51e2'];

/** Options of `describePluginConformance`. */
export interface PluginConformanceOptions<C, M> {
  plugin: ProviderPlugin<C, M>;
  /** A complete, valid configuration (no backend needed). */
  env: Environment;
  /** Starts a backend for the acquire checks; they are skipped without it. */
  backend?: () => Promise<ConformanceBackend>;
  /**
   * The secrets inside the material that the plugin must register itself;
   * default `[material]` for string material. The first is the value a
   * bearer-style format carries, or for a signing plugin the signing secret
   * that no header may carry.
   */
  secretsOf?: (material: M) => readonly string[];
  /** A complete configuration whose exchange cannot connect (e.g. a closed port): checks the typed error. */
  unreachableEnv?: () => Environment;
}

/**
 * The checks every provider plugin must pass (docs/plugin-authors.md):
 * declarations (route, wire formats), config validation naming each setting,
 * a stable credential key free of the environment's secrets, one fresh GitHub
 * token and one backend exchange per acquire (no hop cached), an expiry,
 * secret registration, the exact header or signature of each declared wire
 * format, a typed retryable error with a fix for an unreachable backend, and
 * signal handling. Call it from the provider library's own test file.
 */
export function describePluginConformance<C, M>(options: PluginConformanceOptions<C, M>): void {
  const { plugin, env } = options;

  describe(`plugin conformance: ${plugin.name}`, () => {
    const formats: readonly WireFormat[] = plugin.wireFormats ?? ['bearer'];
    const secretsOf = (material: M): readonly string[] =>
      options.secretsOf?.(material) ?? (typeof material === 'string' ? [material] : []);

    it('declares a lower-case name, auth types, a route, wire formats and documented settings', () => {
      expect(plugin.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(plugin.authTypes.length).toBeGreaterThan(0);
      expect(plugin.route.name).toMatch(/^[a-z]+$/);
      expect(formats.length).toBeGreaterThan(0);
      for (const format of formats) expect(WIRE_FORMATS).toContain(format);
      // Only a signature needs the body; a bearer-style plugin must not make the core buffer it.
      expect(plugin.signsBody === true).toBe(formats.includes('signature'));
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

    it('keeps the request token and the proxy password of the environment out of its key and warnings', () => {
      const config = plugin.parseConfig({ ...env, ...CONFORMANCE_ENV_SECRETS });
      const visible = [
        plugin.credentialKey(config),
        ...(plugin.configWarnings?.(config) ?? []),
        JSON.stringify(config),
      ].join('\n');
      for (const secret of ENV_SECRET_VALUES) expect(visible).not.toContain(secret);
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

    it('performs one exchange per acquire with a fresh GitHub token, never caching any hop', async () => {
      const config = plugin.parseConfig(backend.env);
      const first = context();
      const before = backend.exchanges?.();
      const one = await plugin.acquire(config, first);
      const middle = backend.exchanges?.();
      const second = context();
      const two = await plugin.acquire(config, second);
      const after = backend.exchanges?.();
      expect(first.minted.length).toBeGreaterThan(0);
      expect(second.minted.length).toBeGreaterThan(0);
      expect(second.minted).not.toContain(first.minted[0]);
      if (before !== undefined && middle !== undefined && after !== undefined) {
        expect(middle).toBeGreaterThan(before);
        expect(after - middle).toBe(middle - before);
      }
      for (const credential of [one, two]) {
        expect(Number.isNaN(credential.expiresAt)).toBe(false);
        expect(credential.expiresAt).toBeGreaterThan(Date.now());
      }
      for (const secret of secretsOf(one.material)) expect(first.secrets).toContain(secret);
    });

    for (const format of formats) {
      it(`attaches the credential exactly as ${format}`, async () => {
        const config = plugin.parseConfig(backend.env);
        const { material } = await plugin.acquire(config, context());
        const [secret] = secretsOf(material);
        const body = new TextEncoder().encode('{"model":"m"}');
        const request: OutgoingRequest = {
          method: 'POST',
          origin: 'https://upstream.example',
          path: '/v1/test?x=1',
          headers: { 'content-type': 'application/json' },
          body,
        };
        await plugin.apply(material, request, format);
        for (const name of Object.keys(request.headers)) expect(name).toBe(name.toLowerCase());
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.body).toBe(body);
        const carrier: Record<Exclude<WireFormat, 'signature'>, [string, string]> = {
          bearer: ['authorization', `Bearer ${secret}`],
          'api-key': ['api-key', secret ?? ''],
          'x-api-key': ['x-api-key', secret ?? ''],
        };
        if (format === 'signature') {
          expect(request.headers.authorization).toMatch(/^[A-Z0-9-]+ \S/);
          // A signature never carries the signing secret itself.
          if (secret) expect(Object.values(request.headers).join('\n')).not.toContain(secret);
          return;
        }
        const [header, value] = carrier[format];
        expect(request.headers[header]).toBe(value);
        // The credential travels in that one header and nowhere else.
        for (const [name, other] of Object.entries(request.headers)) {
          if (name !== header && secret) expect(other).not.toContain(secret);
        }
      });
    }

    if (options.unreachableEnv) {
      const unreachableEnv = options.unreachableEnv;
      it('fails an unreachable exchange with a typed, retryable ExchangeError with a fix and no secret', async () => {
        const config = plugin.parseConfig({ ...unreachableEnv(), ...CONFORMANCE_ENV_SECRETS });
        const failing = context();
        const error: unknown = await plugin.acquire(config, failing).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(ExchangeError);
        const typed = error as ExchangeError;
        expect(typed.code).toMatch(/^KEYLESS_ERR_[A-Z0-9_]+$/);
        expect(typed.retryable).toBe(true);
        expect(typed.fix).toBeTruthy();
        const text = `${typed.message}\n${typed.fix ?? ''}`;
        for (const secret of [...ENV_SECRET_VALUES, ...failing.minted])
          expect(text).not.toContain(secret);
      });
    }

    it('rejects when its signal is already aborted', async () => {
      const config = plugin.parseConfig(backend.env);
      const aborted = context();
      aborted.controller.abort(new Error('shutting down'));
      await expect(plugin.acquire(config, aborted)).rejects.toBeDefined();
    });
  });
}
