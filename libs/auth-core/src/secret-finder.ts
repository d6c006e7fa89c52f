import { MIN_SECRET_LENGTH } from './redaction.ts';
import { indexedSpellings, type IndexedSpelling } from './secret-forms.ts';
import { MIN_PARTIAL_LEAK, SecretIndex, type Range } from './secret-index.ts';

export { MIN_PARTIAL_LEAK, type IndexedSpelling, type Range };

/**
 * A fixed set of secrets, found in text exactly as the Redactor finds what it
 * registered: every spelling of `secretForms`, ASCII-case-insensitively, and
 * any run of MIN_PARTIAL_LEAK characters of a raw form. For a scanner that
 * must mask the secrets of one credential in text that is not a log line (an
 * answer relayed to a client).
 */
export class SecretFinder {
  readonly #index = new SecretIndex({ sampled: true });
  /** The spellings searched for: what a streaming caller must know to hold back a possible start of one. */
  readonly spellings: readonly IndexedSpelling[];

  /** `secrets` shorter than `minLength` are ignored, as the Redactor ignores them. */
  constructor(secrets: Iterable<string>, minLength = MIN_SECRET_LENGTH) {
    const byLower = new Map<string, IndexedSpelling>();
    for (const secret of secrets) {
      if (secret.length < minLength) continue;
      for (const spelling of indexedSpellings(secret, minLength)) {
        // A spelling that is raw for one secret and encoded for another counts as raw.
        if (!byLower.get(spelling.lower)?.partial) byLower.set(spelling.lower, spelling);
      }
    }
    this.spellings = [...byLower.values()];
    for (const { lower, partial } of this.spellings) this.#index.add(lower, partial);
  }

  /** The ranges of `text` that hold a secret, sorted, overlaps merged. */
  find(text: string): Range[] {
    return this.#index.find(text);
  }
}
