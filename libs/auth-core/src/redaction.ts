import { KeylessError } from './errors.ts';
/** What every secret and token is replaced by in logs, error messages and responses. */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted by value (they would mangle every line). */
export const MIN_SECRET_LENGTH = 6;

/**
 * Backup patterns for secrets that were never registered. Each alternative is
 * anchored on a prefix that ordinary log content (route names, paths, JSON keys)
 * does not have, and requires enough token characters after it.
 */
const SECRET_PATTERN = new RegExp(
  [
    // JWT / JWS / JWE: base64url JSON header `{"` is always `eyJ`.
    String.raw`\beyJ[\w-]{4,}(?:\.[\w-]*){2,4}`,
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

/**
 * Replaces secrets in text: every registered value (and the forms in which it
 * shows up in URLs and JSON), then well-known token shapes.
 */
export class Redactor {
  /** Registered forms, longest first, so that a secret containing another is replaced whole. */
  #values: string[] = [];
  readonly #known = new Set<string>();

  /** Registers a secret the moment it exists; also its URL-encoded form when different. Idempotent. */
  register(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.#known.has(value)) return;
    // JSON-escaped: the logger redacts serialized lines, where `"` and `\` appear escaped.
    const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
    for (const form of forms) {
      if (this.#known.has(form)) continue;
      this.#known.add(form);
      this.#values.push(form);
    }
    this.#values.sort((a, b) => b.length - a.length);
  }

  /** Replaces every registered secret, then pattern matches (JWTs, `Bearer <token>`, access key ids AKIA/ASIA..., `sk-...` keys) by REDACTED. */
  redact(text: string): string {
    let result = text;
    // `includes` first: the common case (secret absent) stays a native scan, no allocation.
    for (const value of this.#values) {
      if (result.includes(value)) result = result.replaceAll(value, REDACTED);
    }
    return result.replace(SECRET_PATTERN, replaceMatch);
  }

  /**
   * Redacted message of any thrown value: the Error's message and its causes'
   * messages, or String(value). The walk stops at a KeylessError, whose message
   * is already the curated summary of what it wraps.
   */
  describe(error: unknown): string {
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
    return this.redact(parts.join(': '));
  }
}
