import { MIN_SECRET_LENGTH } from './redaction.ts';
import { indexedSpellings } from './secret-forms.ts';
import { MIN_PARTIAL_LEAK, SecretIndex, type Range } from './secret-index.ts';

export { MIN_PARTIAL_LEAK, type Range };

/**
 * A fixed set of secrets, found in text in the spellings the Redactor
 * registers (`indexedSpellings`), ASCII-case-insensitively, and stricter: any run of
 * MIN_PARTIAL_LEAK characters of any spelling counts, encoded ones included
 * (an echo may be cut, split, or encoded once more: a JSON-escaped form inside
 * JSON). For a scanner that masks one credential's secrets in text that is not
 * a log line (an answer relayed to a client).
 */
export class SecretFinder {
  readonly #index: SecretIndex;
  /**
   * The spellings searched for, ASCII-lower-cased, any run of one counting:
   * what a streaming caller must know to hold back a possible start of one.
   */
  readonly spellings: readonly string[];

  /** `secrets` shorter than `minLength` are ignored, as the Redactor ignores them. */
  constructor(secrets: Iterable<string>, minLength = MIN_SECRET_LENGTH) {
    const spellings = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < minLength) continue;
      for (const { lower } of indexedSpellings(secret, minLength)) spellings.add(lower);
    }
    this.spellings = [...spellings];
    this.#index = SecretIndex.sampled(this.spellings);
  }

  /** The ranges of `text` that hold a secret, sorted, overlaps merged. */
  find(text: string): Range[] {
    return this.#index.find(text);
  }
}
