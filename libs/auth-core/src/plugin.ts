import type { Agent } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Environment, Setting } from './settings.ts';

/**
 * The provider plugin contract. A plugin performs one real exchange per
 * `acquire` and knows how to attach what it got to a request; the core owns
 * caching, refresh, single flight, retries and redaction.
 */
export interface ProviderPlugin<Config = unknown, Material = unknown> {
  /** Provider name as written in `AWF_AUTH_PROVIDER`. */
  readonly name: string;
  /** `AWF_AUTH_TYPE` values this plugin serves, e.g. `['github-oidc']`. */
  readonly authTypes: readonly string[];
  /** `COPILOT_PROVIDER_TYPE` values that select this plugin when `AWF_AUTH_PROVIDER` is unset. */
  readonly copilotProviderTypes: readonly string[];
  /** The provider's own route, which the federated credential configures besides copilot. */
  readonly route: FederatedRoute;
  /** The plugin's own settings (for the config-file mapping and the reference). */
  readonly settings: readonly Setting[];
  /** True when `apply` needs the exact body bytes (request signing). */
  readonly signsBody?: boolean;
  /**
   * Validates the configuration once, at startup, into a frozen value.
   * Throws a ConfigError naming the setting (see `configError`).
   */
  parseConfig(env: Environment): Config;
  /**
   * Cache key of the credential the config yields (provider, identity,
   * audience, scope, region): routes with equal keys share one credential.
   * Never contains a secret.
   */
  credentialKey(config: Config): string;
  /** Doubts about a valid config that `keyless doctor` shows (e.g. a value that looks swapped with another); none by default. */
  configWarnings?(config: Config): readonly string[];
  /** Performs exactly one real exchange; never caches. */
  acquire(config: Config, context: AcquireContext): Promise<AcquiredCredential<Material>>;
  /** Attaches the credential to a request about to be sent (headers, or a signature). */
  apply(material: Material, request: OutgoingRequest): void | Promise<void>;
}

/** The built-in route a plugin's credential serves, e.g. `{name: 'openai', whenSet: 'OPENAI_API_TARGET'}`. */
export interface FederatedRoute {
  readonly name: string;
  /** Only when this variable is set (the route's default upstream would not accept the credential). */
  readonly whenSet?: string;
}

/** What one exchange produced. */
export interface AcquiredCredential<Material> {
  readonly material: Material;
  /** Expiry, ms epoch. */
  readonly expiresAt: number;
}

/** What the core hands to `acquire`. */
export interface AcquireContext {
  /** Mints a fresh GitHub OIDC token for `audience` (registered for redaction). */
  mintIdToken(audience: string): Promise<string>;
  /** Registers a secret the moment it exists, so that no output can carry it (kept until the credential expired). */
  registerSecret(value: string): void;
  /** Times one exchange hop (for metrics and `keyless doctor`). */
  hop<T>(name: string, run: () => Promise<T>): Promise<T>;
  /**
   * The only way remote text (an answer body, an error description, an SDK
   * error and its causes) enters an error message: redacted first, then one
   * line of at most `maxChars` characters (default REMOTE_TEXT_MAX_CHARS).
   */
  remoteText(value: unknown, maxChars?: number): string;
  /** Aborted on shutdown. */
  readonly signal: AbortSignal;
  /** The only way out to token endpoints: the configured egress proxy, parsed once by the core. */
  readonly egress: PluginEgress;
}

/**
 * Outbound connections of an exchange, with the same proxy and NO_PROXY rules
 * as the upstream traffic. The core parsed HTTPS_PROXY / HTTP_PROXY / NO_PROXY
 * and registered the proxy password: a plugin reads no proxy variable itself.
 */
export interface PluginEgress {
  /** For fetch-based hops (undici `fetch` / `request`). Shared by the process: never close it. */
  readonly dispatcher: Dispatcher;
  /**
   * The proxy URL a connection to `target` goes through, or undefined for a
   * direct one (for SDKs that take a proxy URL, and for error messages: show
   * only its host, the URL may carry the password).
   */
  proxyUrlFor(target: string | URL): string | undefined;
  /**
   * A new Node agent (an https.Agent for https://) for SDKs that take one:
   * connections to `target` through `proxyUrlFor(target)` or direct, TLS
   * verified. Keep-alive off unless asked. The caller destroys it.
   */
  createAgent(target: string | URL, options?: { keepAlive?: boolean }): Agent;
}

/** A request about to leave for the upstream. */
export interface OutgoingRequest {
  readonly method: string;
  /** Upstream origin, e.g. `https://llm.example.com`. */
  readonly origin: string;
  /** Raw path and query exactly as they will be sent (never decoded or re-encoded). */
  readonly path: string;
  /** Lower-case header names; `apply` adds or replaces entries. */
  readonly headers: Record<string, string>;
  /** Exact body bytes; present when the plugin `signsBody`. */
  readonly body?: Uint8Array;
}
