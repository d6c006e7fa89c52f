import { federatedCredential } from './federated-credential.ts';
import type {
  FederatedCredentialSharedOptions,
  FederatedRouteCredential,
} from './federated-credential.ts';
import type { ProviderPlugin, WireFormat } from './plugin.ts';
import type { RouteCredential } from './route-credential.ts';

/**
 * One federated credential per credential key: routes that share an identity
 * (provider, identity, audience, scope, region) share one cache and one
 * exchange. Start and close the credentials here, not one by one.
 */
export class CredentialPool {
  readonly #options: FederatedCredentialSharedOptions;
  readonly #credentials = new Map<string, FederatedRouteCredential>();
  #started = false;
  #closed = false;

  constructor(options: FederatedCredentialSharedOptions) {
    this.#options = options;
  }

  /**
   * The shared credential for `plugin.credentialKey(config)`, created on first
   * use, attaching in `wire` format (default the plugin's first): routes with
   * different formats share one cache and one exchange.
   */
  get<C, M>(plugin: ProviderPlugin<C, M>, config: C, wire?: WireFormat): RouteCredential {
    const key = JSON.stringify([plugin.name, plugin.credentialKey(config)]);
    let credential = this.#credentials.get(key);
    if (!credential) {
      credential = federatedCredential({ ...this.#options, plugin, config });
      this.#credentials.set(key, credential);
      if (this.#closed) credential.close();
      else if (this.#started) credential.start();
    }
    return wire === undefined ? credential : inFormat(credential, wire);
  }

  /** Number of distinct credentials (exchanges kept fresh). */
  get size(): number {
    return this.#credentials.size;
  }

  /** Starts eager acquisition of every credential, and of those created later. */
  start(): void {
    this.#started = true;
    for (const credential of this.#credentials.values()) credential.start();
  }

  /** Cancels every timer and exchange in flight. */
  close(): void {
    this.#closed = true;
    for (const credential of this.#credentials.values()) credential.close();
  }
}

/** A view of a shared credential that attaches in `wire` format; its lifecycle stays the pool's. */
function inFormat(shared: FederatedRouteCredential, wire: WireFormat): RouteCredential {
  return Object.freeze({
    provider: shared.provider,
    auth: shared.auth,
    signsBody: shared.signsBody,
    renewable: shared.renewable,
    attach: (request) => shared.attachAs(request, wire),
    renew: (attachment) => shared.renew(attachment),
    status: () => shared.status(),
    start: () => shared.start(),
    close: () => shared.close(),
  } satisfies RouteCredential);
}
