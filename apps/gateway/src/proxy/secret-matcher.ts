/** What one scan of a window of bytes found. */
export interface ScanResult {
  /** The window with every complete occurrence of a secret replaced. */
  readonly scrubbed: Buffer;
  /** How many trailing bytes of `scrubbed` may begin a secret: hold them until more bytes come. */
  readonly hold: number;
  /** True when at least one secret was replaced. */
  readonly matched: boolean;
}

const MARKER = '[REDACTED]';

/**
 * What replaces `secret`: the marker padded (or cut) to the secret's own length,
 * so that a scrubbed body still matches the `content-length` the upstream
 * declared, which was relayed before the body was read.
 */
export function maskOf(secret: string | Buffer): Buffer {
  const length = Buffer.byteLength(secret);
  return Buffer.from(MARKER.padEnd(length, '*').slice(0, length));
}

/**
 * Finds secrets in a byte stream that arrives in chunks. The caller scans a
 * window (what it held back plus the new chunk), emits all but the `hold`
 * trailing bytes, and prepends those to the next window, so that no secret
 * split across chunk boundaries escapes, while bytes that cannot begin a
 * secret are never delayed. Replacements keep the length of what they replace.
 */
export class SecretMatcher {
  readonly #secrets: readonly {
    readonly text: string;
    readonly value: Buffer;
    readonly mask: Buffer;
  }[];

  /** `secrets` in every form they may be echoed in; empty strings are ignored. */
  constructor(secrets: Iterable<string>) {
    this.#secrets = [...new Set(secrets)]
      .filter((secret) => secret.length > 0)
      .map((secret) => ({ text: secret, value: Buffer.from(secret), mask: maskOf(secret) }))
      .sort((a, b) => b.value.length - a.value.length);
  }

  get empty(): boolean {
    return this.#secrets.length === 0;
  }

  /** A whole text (a header value) with every secret masked; the same string when none is in it. */
  scrubText(text: string): string {
    let scrubbed = text;
    for (const secret of this.#secrets) {
      if (scrubbed.includes(secret.text))
        scrubbed = scrubbed.replaceAll(secret.text, secret.mask.toString('latin1'));
    }
    return scrubbed;
  }

  scan(window: Buffer): ScanResult {
    let scrubbed = window;
    let matched = false;
    for (const { value, mask } of this.#secrets) {
      let at = scrubbed.indexOf(value);
      if (at < 0) continue;
      if (!matched) scrubbed = Buffer.from(scrubbed); // the caller's bytes stay untouched
      matched = true;
      while (at >= 0) {
        mask.copy(scrubbed, at);
        at = scrubbed.indexOf(value, at + value.length);
      }
    }
    return { scrubbed, hold: this.#heldSuffix(scrubbed), matched };
  }

  /** Length of the longest suffix of `window` that is a proper prefix of a secret. */
  #heldSuffix(window: Buffer): number {
    let longest = 0;
    for (const { value: secret } of this.#secrets) {
      const max = Math.min(secret.length - 1, window.length);
      for (let length = max; length > longest; length--) {
        const start = window.length - length;
        // Cheap first-byte test before comparing the whole candidate.
        if (window[start] === secret[0] && window.compare(secret, 0, length, start) === 0) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
