import { federatedCredential } from './federated-credential.ts';
import type { FederatedCredentialSharedOptions } from './federated-credential.ts';
import type { ProviderPlugin } from './plugin.ts';
import type { RouteCredential } from './route-credential.ts';

/**
 * One federated credential per credential key: routes that share an identity
 * (provider, identity, audience, scope, region) share one cache and one
 * exchange. Start and close the credentials here, not one by one.
 */
export class CredentialPool {
  readonly #options: FederatedCredentialSharedOptions;
  readonly #credentials = new Map<string, RouteCredential>();
  #started = false;
  #closed = false;

  constructor(options: FederatedCredentialSharedOptions) {
    this.#options = options;
  }

  /** The shared credential for `plugin.credentialKey(config)`, created on first use. */
  get<C, M>(plugin: ProviderPlugin<C, M>, config: C): RouteCredential {
    const key = JSON.stringify([plugin.name, plugin.credentialKey(config)]);
    let credential = this.#credentials.get(key);
    if (!credential) {
      credential = federatedCredential({ ...this.#options, plugin, config });
      this.#credentials.set(key, credential);
      if (this.#closed) credential.close();
      else if (this.#started) credential.start();
    }
    return credential;
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
