import type { Agent } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Environment, Setting } from './settings.ts';

/**
 * The provider plugin contract. A plugin performs one real exchange per
 * `acquire` and knows how to attach what it got to a request; the core owns
 * caching, refresh, single flight, retries, redaction and egress.
 *
 * The rules every plugin follows (the conformance suite checks them):
 * - Expiry: `expiresAt` is ms epoch, in the future, and finite unless the
 *   credential truly never expires (`Infinity`: never refreshed, renewed only
 *   when an upstream refuses it). A secret with no lease of its own (an API key
 *   read from a vault) gets the lifetime of whatever granted it, or `Infinity`;
 *   never a guess shorter than that, which would only add exchanges.
 * - Secrets: `registerSecret` every secret the moment it exists (access
 *   tokens, keys, session tokens, anything inside structured material), before
 *   it is validated or put into an error. GitHub tokens from `mintIdToken` are
 *   registered by the core. A credential key never contains a secret.
 * - Egress: every connection goes through `context.egress` (the core parsed
 *   HTTPS_PROXY / NO_PROXY and registered the proxy password); a plugin reads
 *   no proxy variable, follows no redirect (a 3xx is an error naming it: the
 *   GitHub token must never reach another URL) and bounds what it reads.
 * - Errors: throw `ConfigError` (via `configError(setting, ...)`) from
 *   `parseConfig`, and an `ExchangeError` from `acquire` with a stable
 *   `KEYLESS_ERR_*` code, the hop, a one-line `fix` an operator can act on and
 *   `retryable: false` when only the operator can fix it. Remote text enters a
 *   message only through `context.remoteText` (redacted, then bounded).
 * - Audience: the GitHub token's audience is `AWF_AUTH_OIDC_AUDIENCE`, else
 *   the plugin's documented default (what the provider's federation expects);
 *   mint a fresh token per exchange (`mintIdToken`), never reuse one.
 * - Never: cache or reuse an exchange result (any hop), retry, schedule, log,
 *   or read `process.env` (the config arrives through `parseConfig`).
 */
export interface ProviderPlugin<Config = unknown, Material = unknown> {
  /** Provider name as written in `AWF_AUTH_PROVIDER`. */
  readonly name: string;
  /** `AWF_AUTH_TYPE` values this plugin serves, e.g. `['github-oidc']`. */
  readonly authTypes: readonly string[];
  /**
   * Opts into the copilot route: with `COPILOT_PROVIDER_BASE_URL` set the
   * credential serves it (BYOK), and these `COPILOT_PROVIDER_TYPE` values
   * select the plugin when `AWF_AUTH_PROVIDER` is unset. Empty: never copilot.
   */
  readonly copilotProviderTypes: readonly string[];
  /** The provider's own built-in route (checked against the gateway's routes at startup). */
  readonly route: FederatedRoute;
  /**
   * The wire formats `apply` can produce, in order of preference (default
   * `['bearer']`). Each route accepts some formats; the core picks the first
   * of these that the route accepts, refuses to start when none fits, and
   * tells `apply` which one.
   */
  readonly wireFormats?: readonly WireFormat[];
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
  /**
   * Attaches the credential to a request about to be sent, in `wire` format
   * (one of `wireFormats`): a header, or a signature. Touches nothing else
   * but what the provider's API requires alongside (e.g. a beta flag).
   */
  apply(material: Material, request: OutgoingRequest, wire: WireFormat): void | Promise<void>;
}

/**
 * How a credential travels to an upstream: `bearer` = `Authorization: Bearer`,
 * `api-key` = Azure's `api-key` header, `x-api-key` = Anthropic's, and
 * `signature` = the whole request signed (SigV4).
 */
export type WireFormat = 'bearer' | 'api-key' | 'x-api-key' | 'signature';

/** Every WireFormat, in the order they are documented. */
export const WIRE_FORMATS: readonly WireFormat[] = ['bearer', 'api-key', 'x-api-key', 'signature'];

/** The built-in route a plugin's credential serves, e.g. `{name: 'openai', whenSet: 'OPENAI_API_TARGET'}`. */
export interface FederatedRoute {
  /** A built-in route name; anything else is a startup error. */
  readonly name: string;
  /** Only when this variable is set (the route's default upstream would not accept the credential). */
  readonly whenSet?: string;
}

/** The wire format of `plugin` on a route that accepts `accepted`, or undefined when none fits. */
export function pickWireFormat(
  plugin: Pick<ProviderPlugin, 'wireFormats'>,
  accepted: readonly WireFormat[],
): WireFormat | undefined {
  return (plugin.wireFormats ?? ['bearer']).find((format) => accepted.includes(format));
}

/** What one exchange produced. */
export interface AcquiredCredential<Material> {
  readonly material: Material;
  /** Expiry, ms epoch, in the future; `Infinity` only for a credential that never expires. */
  readonly expiresAt: number;
}

/** What the core hands to `acquire`. */
export interface AcquireContext {
  /** Mints a fresh GitHub OIDC token for `audience` (registered for redaction). */
  mintIdToken(audience: string): Promise<string>;
  /** Registers a secret the moment it exists, so that no output can carry it (kept until the credential expired). */
  registerSecret(value: string): void;
  /**
   * The only way remote text (an answer body, an error description, an SDK
   * error and its causes) enters an error message: redacted first, then one
   * line of at most `maxChars` characters (default REMOTE_TEXT_MAX_CHARS).
   */
  remoteText(value: unknown, maxChars?: number): string;
  /** Times one exchange hop (for metrics and `keyless doctor`). */
  hop<T>(name: string, run: () => Promise<T>): Promise<T>;
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
