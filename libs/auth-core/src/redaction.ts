import { KeylessError } from './errors.ts';
import { boundedLine, DESCRIBE_MAX_CHARS, REMOTE_TEXT_MAX_CHARS } from './remote-text.ts';
import { indexedSpellings } from './secret-forms.ts';
import { SecretIndex, type IndexedForm, type Range } from './secret-index.ts';

/** What every secret and token is replaced by in logs, error messages and responses. */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted by value (they would mangle every line). */
export const MIN_SECRET_LENGTH = 6;

/**
 * How long a secret stays registered after its credential expired, ms. An
 * expired credential opens nothing; the margin covers clock skew and lines
 * written late. Static keys (registered without an expiry) are never dropped.
 */
export const SECRET_RETENTION_AFTER_EXPIRY_MS = 10 * 60_000;

/** Dropping expired secrets (an index rebuild) happens at most this often, ms. */
export const SECRET_PRUNE_INTERVAL_MS = 60_000;

/**
 * Backup patterns for secrets that were never registered. Each alternative is
 * anchored on a prefix that ordinary log content (route names, paths, JSON keys)
 * does not have, and requires enough token characters after it.
 */
const SECRET_PATTERN = new RegExp(
  [
    // JWT / JWS / JWE, also cut short: base64url JSON `{"` is always `eyJ`.
    String.raw`\beyJ[\w-]{10,}(?:\.[\w-]*){0,4}`,
    // Cloud access key ids (long-term AKIA, temporary ASIA); role and user ids are not secret.
    String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`,
    // OpenAI (`sk-proj-...`) and Anthropic (`sk-ant-api03-...`) keys.
    String.raw`\bsk-[\w-]{20,}`,
    // GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained PATs.
    String.raw`\bgh[pousr]_[A-Za-z0-9]{30,}`,
    String.raw`\bgithub_pat_\w{22,}`,
    // Google API keys and OAuth access tokens.
    String.raw`\bAIza[\w-]{35}`,
    String.raw`\bya29\.[\w-]{20,}`,
    // `Bearer <token68>`: keeps the scheme, the replacer decides if it is a token.
    String.raw`\b([Bb]earer|BEARER)\s+([\w~+/.-]+=*)`,
  ].join('|'),
  'g',
);

/** The dot between two redacted JWT segments, in any spelling: joined into one REDACTED. */
const DOT_SPELLING = /^(?:\.|%2e|\\u002e|&#0*46;|&#x0*2e;|&period;)$/i;

/**
 * A bearer value is redacted when it looks like a credential: a digit in it, or
 * longer than any English word. Keeps lines like `Bearer token expired` readable.
 */
function looksLikeToken(value: string): boolean {
  return value.length >= 20 || (value.length >= 8 && /\d/.test(value));
}

function replaceMatch(
  match: string,
  scheme: string | undefined,
  token: string | undefined,
): string {
  if (scheme === undefined || token === undefined) return REDACTED;
  return looksLikeToken(token) ? `${scheme} ${REDACTED}` : match;
}

/** Options of a Redactor. */
export interface RedactorOptions {
  /** Clock, ms epoch; default Date.now. */
  now?: () => number;
  /** Default SECRET_RETENTION_AFTER_EXPIRY_MS. */
  retainAfterExpiryMs?: number;
}

/** How a secret is registered. */
export interface RegisterOptions {
  /** When the credential it belongs to expires, ms epoch; absent for a static key (kept for good). */
  expiresAt?: number;
}

/** Size of the registry (for tests and diagnostics). */
export interface RedactorStats {
  /** Distinct forms (spellings) kept. */
  readonly forms: number;
  /** Pieces in the matcher's index. */
  readonly indexSize: number;
  /** Times expired secrets were looked for (at most one per prune interval). */
  readonly prunes: number;
}

interface Form {
  partial: boolean;
  indexed: IndexedForm;
  /** ms epoch after which the form is dropped; Infinity for static keys. */
  dropAt: number;
}

/**
 * Replaces secrets in text: every registered value in every spelling it can be
 * echoed in (see `indexedSpellings`), matched case-insensitively, and any run of 16
 * characters of one (a truncated or split echo); then well-known token shapes.
 * Memory stays bounded: secrets are dropped SECRET_RETENTION_AFTER_EXPIRY_MS
 * after their credential expired. Registering costs the secret's own length,
 * redacting the text's length: neither depends on how many secrets are kept
 * (one index, updated in place; expired secrets are found through time buckets
 * of SECRET_PRUNE_INTERVAL_MS, never by a pass over the registry).
 */
export class Redactor {
  readonly #now: () => number;
  readonly #retainMs: number;
  /** By ASCII-lower-cased form. */
  readonly #forms = new Map<string, Form>();
  readonly #index = new SecretIndex();
  /** Forms by the prune interval in which they become droppable. */
  readonly #dropBuckets = new Map<number, Set<string>>();
  #prunedUntil: number;
  #prunes = 0;

  constructor(options: RedactorOptions = {}) {
    this.#now = options.now ?? (() => Date.now());
    this.#retainMs = options.retainAfterExpiryMs ?? SECRET_RETENTION_AFTER_EXPIRY_MS;
    this.#prunedUntil = bucketOf(this.#now());
  }

  /**
   * Registers a secret the moment it exists, in every form it can be echoed in.
   * Idempotent; registering again extends its retention to the later expiry.
   */
  register(value: string, options: RegisterOptions = {}): void {
    if (value.length < MIN_SECRET_LENGTH) return;
    this.#pruneIfDue();
    const dropAt = options.expiresAt === undefined ? Infinity : options.expiresAt + this.#retainMs;
    for (const { lower, partial } of indexedSpellings(value, MIN_SECRET_LENGTH)) {
      this.#add(lower, partial, dropAt);
    }
  }

  #add(key: string, partial: boolean, dropAt: number): void {
    const known = this.#forms.get(key);
    if (known === undefined) {
      this.#forms.set(key, { partial, dropAt, indexed: this.#index.add(key, partial) });
      this.#fileForDrop(key, dropAt);
      return;
    }
    if (dropAt > known.dropAt) {
      known.dropAt = dropAt; // re-filed lazily when its old bucket comes up
    }
    if (partial && !known.partial) {
      // Now also a raw form: any long run of it counts, not only the whole.
      this.#index.remove(known.indexed);
      known.indexed = this.#index.add(key, true);
      known.partial = true;
    }
  }

  #fileForDrop(key: string, dropAt: number): void {
    if (dropAt === Infinity) return;
    const bucket = Math.max(bucketOf(dropAt), this.#prunedUntil);
    const keys = this.#dropBuckets.get(bucket);
    if (keys) keys.add(key);
    else this.#dropBuckets.set(bucket, new Set([key]));
  }

  /** Replaces every registered secret, then pattern matches (JWTs, `Bearer <token>`, access key ids AKIA/ASIA..., `sk-...` keys) by REDACTED. */
  redact(text: string): string {
    this.#pruneIfDue();
    const ranges = joinDottedSegments(text, this.#index.find(text));
    let result = text;
    if (ranges.length > 0) {
      const parts: string[] = [];
      let from = 0;
      for (const [start, end] of ranges) {
        parts.push(text.slice(from, start), REDACTED);
        from = end;
      }
      parts.push(text.slice(from));
      result = parts.join('');
    }
    return result.replace(SECRET_PATTERN, replaceMatch);
  }

  /**
   * The parts of `text` that `redact` replaces: registered secrets in any of
   * their forms, and the well-known token shapes. For finding a credential
   * inside a larger value (an access key id in a SigV4 `Authorization`).
   */
  secretsIn(text: string): string[] {
    this.#pruneIfDue();
    const found = joinDottedSegments(text, this.#index.find(text)).map(([start, end]) =>
      text.slice(start, end),
    );
    for (const [match, scheme, token] of text.matchAll(SECRET_PATTERN)) {
      if (scheme === undefined || token === undefined) found.push(match);
      else if (looksLikeToken(token)) found.push(token);
    }
    return found;
  }

  /**
   * Remote text made safe to quote in an error message, a log field or a 503
   * body: redacted first, then one line of at most `maxChars` characters. A
   * thrown value is described with its causes (see `describe`).
   */
  remoteText(value: unknown, maxChars = REMOTE_TEXT_MAX_CHARS): string {
    return typeof value === 'string'
      ? boundedLine(this.redact(value), maxChars)
      : this.describe(value, maxChars);
  }

  /**
   * Redacted message of any thrown value, one line of at most `maxChars`: the
   * Error's message and its causes' messages, or String(value). The walk stops
   * at a KeylessError, whose message is already the curated summary of what it wraps.
   */
  describe(error: unknown, maxChars = DESCRIBE_MAX_CHARS): string {
    const parts: string[] = [];
    const seen = new Set<unknown>();
    let current: unknown = error;
    while (current !== undefined && current !== null && !seen.has(current)) {
      seen.add(current);
      if (!(current instanceof Error)) {
        parts.push(String(current));
        break;
      }
      const message = current.message || current.name;
      // Wrappers often repeat their cause's message; say it once.
      if (!parts.some((part) => part.includes(message))) parts.push(message);
      if (current instanceof KeylessError) break;
      current = current.cause;
    }
    return boundedLine(this.redact(parts.join(': ')), maxChars);
  }

  /** Size of the registry and how often expired secrets were dropped. */
  stats(): RedactorStats {
    return { forms: this.#forms.size, indexSize: this.#index.size, prunes: this.#prunes };
  }

  /** Drops the forms of the time buckets that have passed; at most once per SECRET_PRUNE_INTERVAL_MS. */
  #pruneIfDue(): void {
    const current = bucketOf(this.#now());
    if (current <= this.#prunedUntil) return;
    this.#prunes += 1;
    for (let bucket = this.#prunedUntil; bucket < current; bucket += 1) {
      const keys = this.#dropBuckets.get(bucket);
      if (keys === undefined) continue;
      this.#dropBuckets.delete(bucket);
      this.#prunedUntil = bucket + 1; // keys extended below are filed after this bucket
      for (const key of keys) {
        const form = this.#forms.get(key);
        if (form === undefined) continue;
        if (bucketOf(form.dropAt) >= current) {
          this.#fileForDrop(key, form.dropAt);
          continue;
        }
        this.#forms.delete(key);
        this.#index.remove(form.indexed);
      }
      // Skip long idle stretches without visiting every empty bucket.
      if (this.#dropBuckets.size === 0) break;
    }
    this.#prunedUntil = current;
  }
}

/** The prune interval a time falls in. */
function bucketOf(at: number): number {
  return Math.floor(at / SECRET_PRUNE_INTERVAL_MS);
}

/** Ranges of JWT segments separated only by a dot (in any spelling) become one. */
function joinDottedSegments(text: string, ranges: Range[]): Range[] {
  const joined: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = joined.at(-1);
    if (last && DOT_SPELLING.test(text.slice(last[1], start))) last[1] = end;
    else joined.push([start, end]);
  }
  return joined;
}
