import { SecretFinder, type Range } from '@keyless/auth-core';

/** What one scan of a window of bytes found. */
export interface ScanResult {
  /** The bytes that may go to the client now, every secret in them masked. */
  readonly scrubbed: Buffer;
  /** Trailing bytes of the window as they came (they may begin or continue a secret): prepend them to the next window. */
  readonly held: Buffer;
  /**
   * The secret found in this window that runs into `held`, relative to the
   * start of `held` (its start is negative when part of it was emitted): pass
   * it to the next scan, which masks it on (the same marker, continued).
   */
  readonly carried: Range | undefined;
  /** True when at least one secret was masked. */
  readonly matched: boolean;
}

const MARKER = '[REDACTED]';

/** ASCII letters folded to lower case, as the finder compares them. */
const fold = (byte: number): number => (byte >= 65 && byte <= 90 ? byte + 32 : byte);

/**
 * What replaces a secret of `length` bytes (or a Buffer's / string's byte length):
 * the marker padded (or cut) to that length, so that a scrubbed body still
 * matches the `content-length` the upstream declared, which was relayed
 * before the body was read, and a WebSocket message keeps its size.
 */
export function maskOf(secret: string | Buffer | number): Buffer {
  const length = typeof secret === 'number' ? secret : Buffer.byteLength(secret);
  return Buffer.from(MARKER.padEnd(length, '*').slice(0, length));
}

/**
 * Finds a credential's secrets in bytes on their way to the client, in every
 * spelling the redactor knows (auth-core's SecretFinder: raw, URL-, form-,
 * JSON-, HTML-encoded, base64 at each alignment; ASCII case ignored; any run
 * of 16 characters of any spelling). A stream is
 * scanned in windows: the caller emits `scrubbed`, and prepends `held` (the
 * trailing bytes that may begin or continue a secret) to the next chunk, so
 * that no secret split across chunks escapes, while bytes that cannot be part
 * of one are never delayed. Masks keep the length of what they replace.
 */
export class SecretMatcher {
  readonly #finder: SecretFinder;
  /** The spellings (any long enough run of one counts), as lower-cased bytes. */
  readonly #spellings: readonly Buffer[];
  /** Bytes that occur in some spelling (both cases of a letter): a window ending in another byte holds nothing. */
  readonly #inSpelling = new Uint8Array(256);
  /** Length of the longest spelling, bytes. */
  readonly longest: number;

  /** The secrets of one credential; those shorter than the redactor's minimum are ignored. */
  constructor(secrets: Iterable<string>) {
    this.#finder = new SecretFinder(secrets);
    this.#spellings = this.#finder.spellings.map((lower) => Buffer.from(lower, 'latin1'));
    for (const bytes of this.#spellings) {
      for (const byte of bytes) {
        this.#inSpelling[byte] = 1;
        if (byte >= 97 && byte <= 122) this.#inSpelling[byte - 32] = 1;
      }
    }
    this.longest = Math.max(0, ...this.#spellings.map((bytes) => bytes.length));
  }

  get empty(): boolean {
    return this.longest === 0;
  }

  /** A whole text (a header value) with every secret masked; the same string when none is in it. */
  scrubText(text: string): string {
    const ranges = this.#find(text);
    if (ranges.length === 0) return text;
    const parts: string[] = [];
    let from = 0;
    for (const [start, end] of ranges) {
      parts.push(text.slice(from, start), maskOf(end - start).toString('latin1'));
      from = end;
    }
    parts.push(text.slice(from));
    return parts.join('');
  }

  /**
   * A whole message (a WebSocket frame's payload) with every secret masked.
   * `before`, the end of the previous message, lets a secret split across two
   * messages be masked where it continues (what went before is already sent).
   */
  scrubMessage(message: Buffer, before?: Buffer): { scrubbed: Buffer; matched: boolean } {
    const window = before?.length ? Buffer.concat([before, message]) : message;
    const offset = window.length - message.length;
    const ranges = this.#find(window.toString('latin1'));
    const scrubbed = mask(message, ranges, offset);
    return { scrubbed, matched: scrubbed !== message };
  }

  /**
   * Scans `window` (the bytes held last time, then a new chunk); `carried` is
   * the last scan's. On the `final` window nothing is held.
   */
  scan(window: Buffer, carried?: Range, final = false): ScanResult {
    const ranges = withCarried(this.#find(window.toString('latin1')), carried);
    const cut = window.length - (final ? 0 : this.#heldSuffix(window));
    const scrubbed = mask(window.subarray(0, cut), ranges, 0);
    const last = ranges.at(-1);
    return {
      scrubbed,
      held: window.subarray(cut),
      carried: last && last[1] > cut ? [last[0] - cut, last[1] - cut] : undefined,
      matched: ranges.length > 0,
    };
  }

  /** The ranges to mask in `text`: what the finder found, widened to whole escape sequences. */
  #find(text: string): Range[] {
    return this.#finder.find(text).map((range) => widened(text, range));
  }

  /**
   * Length of the longest suffix of `window` that may be the start of a
   * secret: any piece of a spelling (a run may become long enough with the
   * next chunk, or continue one).
   */
  #heldSuffix(window: Buffer): number {
    const n = window.length;
    if (n === 0 || this.#inSpelling[window[n - 1]!] === 0) return 0;
    let longest = 0;
    const last = fold(window[n - 1]!);
    for (const form of this.#spellings) {
      // Every place the window's last byte could sit in the spelling, extended backwards.
      for (let at = form.indexOf(last); at >= 0; at = form.indexOf(last, at + 1)) {
        let length = 1;
        while (length <= at && length < n && fold(window[n - 1 - length]!) === form[at - length])
          length += 1;
        longest = Math.max(longest, Math.min(length, form.length - 1));
      }
    }
    return longest;
  }
}

/**
 * `range` widened so that it neither begins nor ends inside a backslash escape
 * (`\\`, `\"`, `\u002d`): a piece of a JSON-escaped spelling starts or ends
 * anywhere, and a mask after a lone `\` would break the JSON around it.
 */
function widened(text: string, [start, end]: Range): Range {
  let from = start;
  // Back to the backslash of a \uXXXX the range starts inside, then over the backslashes before it.
  for (let back = 1; back <= 5 && from - back >= 0; back += 1) {
    if (text[from - back] !== '\\') continue;
    if (back === 1 || text[from - back + 1] === 'u') from -= back;
    break;
  }
  while (from > 0 && text[from - 1] === '\\') from -= 1;
  let to = end;
  // Forward to the end of an escape the range stops inside.
  for (let back = 1; back <= 5 && to - back >= from; back += 1) {
    if (text[to - back] !== '\\') continue;
    to = Math.min(text.length, to - back + (text[to - back + 1] === 'u' ? 6 : 2));
    break;
  }
  return to < end ? [from, end] : [from, to];
}

/** `ranges` (sorted, disjoint) with `carried` joined to those it overlaps, keeping its start. */
function withCarried(ranges: Range[], carried: Range | undefined): Range[] {
  if (carried === undefined) return ranges;
  let end = carried[1];
  let joined = 0;
  while (joined < ranges.length && ranges[joined]![0] <= end) {
    end = Math.max(end, ranges[joined]![1]);
    joined += 1;
  }
  return [[carried[0], end], ...ranges.slice(joined)];
}

/** `bytes` (which start at `offset` in the scanned window) with `ranges` masked; the same Buffer when none falls in it. */
function mask(bytes: Buffer, ranges: readonly Range[], offset: number): Buffer {
  let out = bytes;
  for (const [start, end] of ranges) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end - offset, bytes.length);
    if (from >= to) continue;
    if (out === bytes) out = Buffer.from(bytes); // the caller's bytes stay untouched
    // The mask of the whole range, so that its pieces in two windows read as one marker.
    maskOf(end - start).copy(out, from, from - (start - offset), to - (start - offset));
  }
  return out;
}
