import type {
  EgressProxy,
  GithubOidcConfig,
  LogFormat,
  ProviderPlugin,
  WireFormat,
} from '@keyless/auth-core';
import type { ConfiguredPolicy } from '@keyless/policies';
import type { UsageSettings } from '../usage/usage-settings.ts';
import type { Flavor } from './flavors.ts';
import type { Upstream } from './upstream.ts';

/** A static key and the header that carries it. */
export interface StaticAuth {
  readonly kind: 'static';
  /** Variable the key came from (shown at startup; never the value). */
  readonly variable: string;
  /** The secret itself (registered for redaction). */
  readonly key: string;
  readonly header: string;
  /** Header value, e.g. `Bearer <key>`. */
  readonly value: string;
}

/** A credential a provider plugin obtains from the job's GitHub OIDC token. */
export interface FederatedAuth {
  readonly kind: 'federated';
  /** e.g. `github-oidc`. */
  readonly type: string;
  readonly plugin: ProviderPlugin;
  readonly config: unknown;
  /** Where the GitHub OIDC tokens are minted. */
  readonly oidc: GithubOidcConfig;
  /** How the credential travels on this route (a format both the plugin and the upstream support). */
  readonly wireFormat?: WireFormat;
}

/**
 * A built-in route nothing configures: it still listens (the sidecar's health
 * check probes port 10000 whatever is configured) and answers
 * `route_not_configured`.
 */
export interface UnconfiguredAuth {
  readonly kind: 'unconfigured';
  /** Human phrase naming the variables that would configure the route, e.g. `OPENAI_API_KEY`. */
  readonly configuredBy: string;
}

/** How a route authenticates upstream. */
export type RouteAuth = StaticAuth | FederatedAuth | UnconfiguredAuth;

export interface RouteConfig {
  readonly name: string;
  readonly port: number;
  /** Where the port was set (a variable or a config file key), for listen errors. */
  readonly portSetting: string;
  readonly upstream: Upstream;
  readonly flavor: Flavor;
  readonly auth: RouteAuth;
  /**
   * Headers set on every upstream request of the route, replacing a client
   * value (the Copilot integration id, `AWF_BYOK_EXTRA_HEADERS`). Never a credential.
   */
  readonly extraHeaders: Readonly<Record<string, string>>;
}

/** The validated, frozen configuration of one gateway process. */
export interface GatewayConfig {
  readonly host: string;
  readonly managementPort: number;
  /** Bytes. */
  readonly bodyLimit: number;
  /** Request body bytes held in memory at once across all requests. */
  readonly bufferLimit: number;
  /** Time to receive a whole request, ms. */
  readonly requestTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  readonly credentialWaitMs: number;
  readonly shutdownGraceMs: number;
  readonly clientKey: string | undefined;
  readonly logLevel: string;
  /** `auto` becomes `pretty` when stdout is a terminal. */
  readonly logFormat: LogFormat;
  /** Egress proxy of upstreams, WebSockets and GitHub OIDC minting, parsed once at startup. */
  readonly egress: EgressProxy;
  readonly routes: readonly RouteConfig[];
  /** Request policies the settings switch on, validated, in the order they run. */
  readonly policies: readonly ConfiguredPolicy[];
  /** Usage accounting: the token log folder and its records' schema. */
  readonly usage: UsageSettings;
  /** Things worth a warning at startup (e.g. a static key replaced by federation). */
  readonly warnings: readonly string[];
}
