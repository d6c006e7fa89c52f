import { ROOT_CONTEXT, context as traceContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { getGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { CredentialCache } from './credential-cache.ts';
import type { CredentialCacheOptions, CredentialEvent } from './credential-cache.ts';
import type { CredentialMetrics } from './credential-metrics.ts';
import { egressProxySecrets } from './egress.ts';
import type { EgressProxy } from './egress.ts';
import { KeylessError, ExchangeError } from './errors.ts';
import { GITHUB_OIDC_HOP } from './github-oidc.ts';
import type { IdTokenMinter } from './github-oidc.ts';
import type {
  AcquireContext,
  AcquiredCredential,
  OutgoingRequest,
  ProviderPlugin,
  WireFormat,
} from './plugin.ts';
import { createPluginEgress } from './plugin-egress.ts';
import type { Redactor } from './redaction.ts';
import type { Attachment, RouteCredential } from './route-credential.ts';
import { traced } from './tracing.ts';

/**
 * How long a secret a plugin registers stays redacted when its acquisition
 * fails before the credential's expiry is known, ms (then the redactor's
 * retention window applies). Secrets of a successful acquisition are kept
 * until the credential expired.
 */
export const PROVISIONAL_SECRET_LIFETIME_MS = 60 * 60_000;

/** Auth type of a federated credential when none is given. */
export const DEFAULT_AUTH_TYPE = 'github-oidc';

/** Everything a federated credential needs besides its plugin and config (shared by a CredentialPool). */
export interface FederatedCredentialSharedOptions {
  /** Mints GitHub OIDC tokens (never cached). */
  minter: Pick<IdTokenMinter, 'mint'>;
  /** Receives every token the moment it exists; describes errors for logs, status and 503 bodies. */
  redactor: Pick<Redactor, 'register' | 'describe' | 'remoteText'>;
  logger: Logger;
  metrics?: CredentialMetrics;
  /** `AWF_AUTH_TYPE` in effect; default `github-oidc`. */
  auth?: string;
  /** How long a request waits for a credential, ms (`KEYLESS_CREDENTIAL_WAIT_MS`). */
  waitTimeoutMs?: number;
  /** Engine tunables and seams (clock in ms epoch, random, policy) for tests. */
  engine?: Pick<CredentialCacheOptions<unknown>, 'acquireTimeoutMs' | 'policy' | 'now' | 'random'>;
  /** The exchanges' egress, handed to plugins as `AcquireContext.egress`; default direct. */
  egress?: ExchangeEgress;
}

/** The parsed egress proxy and the process's dispatcher built from it (`createEgressDispatcher`). */
export interface ExchangeEgress {
  readonly proxy: EgressProxy;
  readonly dispatcher: Dispatcher;
}

/** Options of `federatedCredential`. */
export interface FederatedCredentialOptions<C, M> extends FederatedCredentialSharedOptions {
  plugin: ProviderPlugin<C, M>;
  /** The plugin's parsed, frozen config. */
  config: C;
  /** Wire format `attach` applies; default the plugin's first (`bearer` when it declares none). */
  wireFormat?: WireFormat;
}

/** A federated RouteCredential that can also attach in another wire format (one cache, several routes). */
export interface FederatedRouteCredential extends RouteCredential {
  /** `attach`, in `wire` format (one of the plugin's `wireFormats`). */
  attachAs(request: OutgoingRequest, wire: WireFormat): Promise<Attachment>;
}

interface HopRecord {
  readonly hop: string;
  /** ms */
  readonly durationMs: number;
  readonly ok: boolean;
}

/**
 * A RouteCredential whose credential the core keeps fresh: `plugin.acquire`
 * performs the exchanges, a CredentialCache schedules them, and every event
 * becomes a log line and metrics. The material never reaches a log.
 */
export function federatedCredential<C, M>(
  options: FederatedCredentialOptions<C, M>,
): FederatedRouteCredential {
  const { plugin, config, minter, redactor, metrics } = options;
  const now = options.engine?.now ?? (() => Date.now());
  const auth = options.auth ?? DEFAULT_AUTH_TYPE;
  const logger = options.logger.child({ provider: plugin.name, auth });
  // Parsed once by the caller; its password is registered here, before any exchange can log it.
  const egressProxy = options.egress?.proxy ?? {};
  for (const secret of egressProxySecrets(egressProxy)) redactor.register(secret);
  const egress = createPluginEgress(
    egressProxy,
    options.egress?.dispatcher ?? getGlobalDispatcher(),
  );
  // Exchanges run one at a time (single flight), so the latest attempt's hops are the ones an event reports.
  let hops: HopRecord[] = [];

  // True while a request synchronously asks the cache for a credential: an exchange that starts
  // then is that request's (its spans nest under it); one started by a timer is a trace of its own.
  let demanding = false;
  const spanAttributes = { 'keyless.credential.provider': plugin.name, 'keyless.auth': auth };

  async function timeHop<T>(record: HopRecord[], hop: string, run: () => Promise<T>): Promise<T> {
    const startedAt = now();
    let ok = false;
    try {
      const result = await traced(
        `keyless.hop.${hop}`,
        { ...spanAttributes, 'keyless.hop': hop },
        run,
      );
      ok = true;
      return result;
    } finally {
      const durationMs = now() - startedAt;
      record.push({ hop, durationMs, ok });
      metrics?.recordHop(plugin.name, hop, durationMs / 1000, ok ? 'success' : 'failure');
      logger.debug({ event: 'credential.hop', hop, durationMs, ok }, 'exchange hop finished');
    }
  }

  function acquire(signal: AbortSignal): Promise<AcquiredCredential<M>> {
    const parent = demanding ? traceContext.active() : ROOT_CONTEXT;
    return traced('keyless.credential.exchange', spanAttributes, () => exchange(signal), parent);
  }

  async function exchange(signal: AbortSignal): Promise<AcquiredCredential<M>> {
    const record: HopRecord[] = [];
    hops = record;
    // Kept at least PROVISIONAL_SECRET_LIFETIME_MS, and until the credential expired once that is known.
    const registered: string[] = [];
    const context: AcquireContext = {
      signal,
      egress,
      registerSecret: (value) => {
        registered.push(value);
        redactor.register(value, { expiresAt: now() + PROVISIONAL_SECRET_LIFETIME_MS });
      },
      remoteText: (value, maxChars) => redactor.remoteText(value, maxChars),
      hop: (name, run) => timeHop(record, name, run),
      mintIdToken: (audience) =>
        timeHop(record, GITHUB_OIDC_HOP, async () => {
          const minted = await minter.mint(audience, signal);
          // The context promises a registered token whatever minter it was given, before the plugin sees it.
          redactor.register(minted.token, { expiresAt: minted.expiresAt });
          return minted.token;
        }),
    };
    const credential = await plugin.acquire(config, context);
    // Structured material (e.g. a key pair) is registered by the plugin; a bare token here.
    if (typeof credential.material === 'string') registered.push(credential.material);
    for (const value of registered) redactor.register(value, { expiresAt: credential.expiresAt });
    return credential;
  }

  const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

  function observe(event: CredentialEvent): void {
    const at = now();
    if (event.type === 'acquired') {
      metrics?.recordRefresh(plugin.name, 'success');
      logger.info(
        {
          event: event.replaced ? 'credential.refreshed' : 'credential.acquired',
          reason: event.reason,
          generation: event.credential.generation,
          remainingSeconds: seconds(event.credential.expiresAt - at),
          refreshInSeconds:
            event.refreshInMs === undefined ? undefined : seconds(event.refreshInMs),
          // Exact, for checks that follow the schedule instead of measuring wall-clock gaps.
          refreshInMs: event.refreshInMs,
          durationMs: event.durationMs,
          hops,
        },
        event.replaced ? 'credential refreshed' : 'credential acquired',
      );
    } else if (event.type === 'failed') {
      metrics?.recordRefresh(plugin.name, 'failure');
      const error = event.error;
      const fields = {
        event: event.served ? 'credential.refresh_failed' : 'credential.acquire_failed',
        reason: event.reason,
        failures: event.failures,
        remainingSeconds: event.served ? seconds(event.served.expiresAt - at) : 0,
        retryInSeconds: seconds(event.retryInMs),
        durationMs: event.durationMs,
        hops,
        error: redactor.describe(error),
        ...(error instanceof KeylessError ? { code: error.code, fix: error.fix } : {}),
        ...(error instanceof ExchangeError ? { hop: error.hop, retryable: error.retryable } : {}),
      };
      if (event.served)
        logger.warn(fields, 'credential refresh failed; serving the current credential');
      else logger.error(fields, 'credential acquisition failed');
    } else {
      logger.warn(
        {
          event: 'credential.invalidated',
          generation: event.credential.generation,
          remainingSeconds: seconds(event.credential.expiresAt - at),
        },
        'upstream rejected the credential; renewing',
      );
    }
  }

  const cache = new CredentialCache<M>({
    ...options.engine,
    acquire,
    observe,
    label: `the ${plugin.name} credential`,
    describeError: (error) => redactor.describe(error),
    ...(options.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: options.waitTimeoutMs }),
  });

  const defaultWire = options.wireFormat ?? plugin.wireFormats?.[0] ?? 'bearer';
  /** `get` as the request's own: in a credential wait span when the request has to wait. */
  function demand<T>(waits: boolean, reason: string, get: () => Promise<T>): Promise<T> {
    if (!waits) return get();
    return traced(
      'keyless.credential.wait',
      { ...spanAttributes, 'keyless.wait.reason': reason },
      () => {
        demanding = true;
        try {
          return get();
        } finally {
          demanding = false;
        }
      },
    );
  }

  async function attachAs(request: OutgoingRequest, wire: WireFormat): Promise<Attachment> {
    const lease = await demand(!cache.hasUsable(), 'acquire', () => cache.get());
    await plugin.apply(lease.material, request, wire);
    // Never the lease itself: it holds the material.
    return { generation: lease.generation, acquiredAt: lease.acquiredAt };
  }

  return {
    provider: plugin.name,
    auth,
    signsBody: plugin.signsBody === true,
    renewable: true,
    attach: (request) => attachAs(request, defaultWire),
    attachAs,
    async renew(attachment) {
      await demand(true, 'renew', () => cache.renew(attachment));
    },
    status: () => cache.status(),
    start: () => cache.start(),
    close: () => cache.close(),
  };
}
