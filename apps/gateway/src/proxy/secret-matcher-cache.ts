import { SecretMatcher } from './secret-matcher.ts';

/** Matchers kept per route: one per live credential, plus room for a renewal in flight. */
const DEFAULT_CAPACITY = 8;

/**
 * The matchers of a route's recent credentials. The values a credential
 * attaches change only when it is renewed, except a request signature, which
 * changes every time but only carries secrets that do not (the access key
 * id). So a matcher is keyed by the secrets found in the values and built
 * once per credential (its spellings computed then), and a value seen
 * before is not searched again.
 */
export class SecretMatcherCache {
  readonly #secretsIn: (value: string) => readonly string[];
  readonly #capacity: number;
  /** By the attached values: a bearer credential's requests stop here. */
  readonly #byValues = new Map<string, SecretMatcher>();
  /** By the secrets inside them: a signing credential's requests stop here. */
  readonly #bySecrets = new Map<string, SecretMatcher>();

  /** `secretsIn` names the secrets inside a value (a whole value may be one). */
  constructor(secretsIn: (value: string) => readonly string[], capacity = DEFAULT_CAPACITY) {
    this.#secretsIn = secretsIn;
    this.#capacity = capacity;
  }

  /** The matcher for the values a credential attached to one request. */
  matcherFor(values: readonly string[]): SecretMatcher {
    const valuesKey = values.join('\n');
    const known = this.#byValues.get(valuesKey);
    if (known) return known;
    const secrets = [...new Set(values.flatMap((value) => this.#secretsIn(value)))].sort();
    const secretsKey = secrets.join('\n');
    const matcher =
      this.#bySecrets.get(secretsKey) ??
      this.#remember(this.#bySecrets, secretsKey, new SecretMatcher(secrets));
    return this.#remember(this.#byValues, valuesKey, matcher);
  }

  #remember(map: Map<string, SecretMatcher>, key: string, matcher: SecretMatcher): SecretMatcher {
    map.set(key, matcher);
    if (map.size > this.#capacity) map.delete(map.keys().next().value!);
    return matcher;
  }
}
