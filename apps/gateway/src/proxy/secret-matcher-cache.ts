import { echoForms } from './credential-secrets.ts';
import { SecretMatcher } from './secret-matcher.ts';

/** Matchers kept per route: one per live credential, plus room for a renewal in flight. */
const DEFAULT_CAPACITY = 8;

/**
 * The matchers of a route's recent credentials. A credential's attached values
 * change only when it is renewed (a signature aside), so the secret check and
 * the echo forms are computed once per credential, not once per request.
 */
export class SecretMatcherCache {
  readonly #isSecret: (value: string) => boolean;
  readonly #capacity: number;
  readonly #matchers = new Map<string, SecretMatcher>();

  constructor(isSecret: (value: string) => boolean, capacity = DEFAULT_CAPACITY) {
    this.#isSecret = isSecret;
    this.#capacity = capacity;
  }

  /** The matcher for the values a credential attached to one request. */
  matcherFor(values: readonly string[]): SecretMatcher {
    const key = values.join('\n');
    const cached = this.#matchers.get(key);
    if (cached) return cached;
    const matcher = new SecretMatcher(
      values.filter((value) => this.#isSecret(value)).flatMap(echoForms),
    );
    this.#matchers.set(key, matcher);
    if (this.#matchers.size > this.#capacity) {
      this.#matchers.delete(this.#matchers.keys().next().value!);
    }
    return matcher;
  }
}
