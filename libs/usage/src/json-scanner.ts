/** A scalar value of a JSON document. */
export type JsonScalar = string | number | boolean | null;

/** What a scanner reports, and what it keeps. */
export interface JsonVisitor {
  /**
   * Keys worth a look. A value whose nearest key is not one of them is skipped
   * without building its path, so scanning large answers stays cheap.
   */
  readonly leaves: ReadonlySet<string>;
  /**
   * Paths of the objects and arrays worth entering (every prefix of a path of
   * interest); any other nested value is skipped at a fraction of the cost.
   */
  readonly containers: ReadonlySet<string>;
  /** Bytes of the string at `path` worth keeping; 0 skips it (a longer string is dropped). */
  stringCap(path: string): number;
  /** A scalar at `path`: the object keys from the root joined by `.`, array levels left out. */
  value(path: string, value: JsonScalar): void;
}

/** Deepest nesting followed; deeper documents are given up on (no usage lives that deep). */
export const MAX_JSON_DEPTH = 256;
/** Longest key kept, bytes; longer keys never match. */
const MAX_KEY_BYTES = 64;
/** Longest number kept, characters. */
const MAX_NUMBER_CHARS = 32;

const OBJECT = 1;
const ARRAY = 2;

const Mode = {
  Value: 0,
  FirstKeyOrEnd: 1,
  Key: 2,
  Colon: 3,
  AfterValue: 4,
  String: 5,
  Escape: 6,
  Unicode: 7,
  Number: 8,
  Literal: 9,
  Failed: 10,
  Skip: 11,
} as const;

/**
 * A streaming JSON scanner: bytes in, scalars out, with memory bounded by
 * {@link MAX_JSON_DEPTH}, short keys, and the visitor's string caps — never by
 * the document's size. Malformed input stops the scan (it never throws).
 * Concatenated top-level values are scanned one after the other.
 */
export class JsonScanner {
  readonly #visitor: JsonVisitor;
  #mode: number = Mode.Value;
  /** Container type per level. */
  readonly #containers: number[] = [];
  /** Current key per level (undefined in arrays). */
  readonly #keys: (string | undefined)[] = [];
  #isKey = false;
  /** The string kept so far, one latin1 character per byte, or undefined when the string is skipped. */
  #kept: string | undefined;
  #cap = 0;
  #overflow = false;
  #unicode = '';
  #token = '';
  /** Skipping an uninteresting object or array: its depth, and whether inside a string or an escape. */
  #skipDepth = 0;
  #skipString = false;
  #skipEscape = false;

  constructor(visitor: JsonVisitor) {
    this.#visitor = visitor;
  }

  /** True once the input stopped being JSON; later bytes are ignored. */
  get failed(): boolean {
    return this.#mode === Mode.Failed;
  }

  /** True between top-level values (a whole document was read). */
  get complete(): boolean {
    return this.#mode === Mode.Value && this.#containers.length === 0 && this.#token === '';
  }

  /** Feeds bytes `[start, end)` of `chunk`. */
  write(chunk: Uint8Array, start = 0, end = chunk.length): void {
    let i = start;
    while (i < end) {
      const mode = this.#mode;
      if (mode === Mode.Failed) return;
      const c = chunk[i]!;
      if (mode === Mode.String) {
        i = this.#stringBytes(chunk, i, end);
        continue;
      }
      if (mode === Mode.Skip) {
        i = this.#skip(chunk, i, end);
        continue;
      }
      if (mode === Mode.Number || mode === Mode.Literal) {
        if (mode === Mode.Number ? isNumberChar(c) : c >= 0x61 && c <= 0x7a) {
          if (this.#token.length <= MAX_NUMBER_CHARS) this.#token += String.fromCharCode(c);
          i++;
          continue;
        }
        this.#endToken();
        continue; // the delimiter is read in the new mode
      }
      i++;
      if (mode === Mode.Escape) {
        this.#escape(c);
        continue;
      }
      if (mode === Mode.Unicode) {
        this.#unicode += String.fromCharCode(c);
        if (this.#unicode.length === 4) this.#endUnicode();
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      switch (mode) {
        case Mode.Value:
          this.#value(c);
          break;
        case Mode.FirstKeyOrEnd:
          if (c === 0x7d) this.#close(OBJECT);
          else this.#key(c);
          break;
        case Mode.Key:
          this.#key(c);
          break;
        case Mode.Colon:
          this.#mode = c === 0x3a ? Mode.Value : Mode.Failed;
          break;
        case Mode.AfterValue:
          this.#afterValue(c);
          break;
      }
    }
  }

  #value(c: number): void {
    if (c === 0x7b || c === 0x5b) {
      if (this.#containers.length >= MAX_JSON_DEPTH) {
        this.#mode = Mode.Failed;
        return;
      }
      const object = c === 0x7b;
      const path = this.#containers.length > 0 ? this.#path() : '';
      // Top-level arrays (of chunks) are always entered.
      if (path !== '' && !this.#visitor.containers.has(path)) {
        this.#mode = Mode.Skip;
        this.#skipDepth = 1;
        this.#skipString = false;
        this.#skipEscape = false;
        return;
      }
      this.#containers.push(object ? OBJECT : ARRAY);
      this.#keys.push(undefined);
      this.#mode = object ? Mode.FirstKeyOrEnd : Mode.Value;
      return;
    }
    if (c === 0x5d && this.#top() === ARRAY && this.#mode === Mode.Value) {
      // `[]` or a trailing `]` right after `[`: only valid when nothing was read yet.
      this.#close(ARRAY);
      return;
    }
    if (c === 0x22) {
      this.#isKey = false;
      this.#beginString(this.#wantedCap());
      return;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      this.#mode = Mode.Number;
      this.#token = String.fromCharCode(c);
      return;
    }
    if (c === 0x74 || c === 0x66 || c === 0x6e) {
      this.#mode = Mode.Literal;
      this.#token = String.fromCharCode(c);
      return;
    }
    this.#mode = Mode.Failed;
  }

  /** Passes over a nested value without reading it; returns the next index. */
  #skip(chunk: Uint8Array, i: number, end: number): number {
    let depth = this.#skipDepth;
    let inString = this.#skipString;
    let escape = this.#skipEscape;
    while (i < end) {
      const c = chunk[i++]!;
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          this.#afterScalar();
          return i;
        }
      }
    }
    this.#skipDepth = depth;
    this.#skipString = inString;
    this.#skipEscape = escape;
    return i;
  }

  #key(c: number): void {
    if (c !== 0x22) {
      this.#mode = Mode.Failed;
      return;
    }
    this.#isKey = true;
    this.#beginString(MAX_KEY_BYTES);
  }

  #afterValue(c: number): void {
    const top = this.#top();
    if (c === 0x2c && top !== undefined) {
      this.#mode = top === OBJECT ? Mode.Key : Mode.Value;
    } else if (c === 0x7d && top === OBJECT) {
      this.#close(OBJECT);
    } else if (c === 0x5d && top === ARRAY) {
      this.#close(ARRAY);
    } else {
      this.#mode = Mode.Failed;
    }
  }

  #close(type: number): void {
    if (this.#top() !== type) {
      this.#mode = Mode.Failed;
      return;
    }
    this.#containers.pop();
    this.#keys.pop();
    this.#afterScalar();
  }

  #afterScalar(): void {
    this.#mode = this.#containers.length === 0 ? Mode.Value : Mode.AfterValue;
  }

  #top(): number | undefined {
    return this.#containers[this.#containers.length - 1];
  }

  #beginString(cap: number): void {
    this.#mode = Mode.String;
    this.#kept = cap > 0 ? '' : undefined;
    this.#cap = cap;
    this.#overflow = false;
  }

  /** Reads string content up to the closing quote or an escape; returns the next index. */
  #stringBytes(chunk: Uint8Array, i: number, end: number): number {
    let j = i;
    while (j < end) {
      const c = chunk[j]!;
      if (c === 0x22 || c === 0x5c) break;
      j++;
    }
    if (this.#kept !== undefined && j > i) this.#keepRun(chunk, i, j);
    if (j === end) return j;
    if (chunk[j] === 0x22) this.#endString();
    else this.#mode = Mode.Escape;
    return j + 1;
  }

  #keepRun(chunk: Uint8Array, start: number, end: number): void {
    const room = this.#cap - this.#kept!.length;
    if (end - start > room) {
      this.#overflow = true;
      end = start + Math.max(room, 0);
    }
    // One string per run, no view allocated: answers arrive as Buffers.
    this.#kept += Buffer.isBuffer(chunk)
      ? chunk.toString('latin1', start, end)
      : Buffer.from(chunk.buffer, chunk.byteOffset + start, end - start).toString('latin1');
  }

  #keep(byte: number): void {
    if (this.#kept === undefined) return;
    if (this.#kept.length < this.#cap) this.#kept += String.fromCharCode(byte);
    else this.#overflow = true;
  }

  #escape(c: number): void {
    this.#mode = Mode.String;
    const simple = ESCAPES[c];
    if (simple !== undefined) {
      this.#keep(simple);
    } else if (c === 0x75) {
      this.#mode = Mode.Unicode;
      this.#unicode = '';
    } else {
      this.#mode = Mode.Failed;
    }
  }

  #endUnicode(): void {
    const code = Number.parseInt(this.#unicode, 16);
    if (!/^[0-9a-fA-F]{4}$/.test(this.#unicode)) {
      this.#mode = Mode.Failed;
      return;
    }
    this.#mode = Mode.String;
    if (this.#kept !== undefined)
      for (const byte of Buffer.from(String.fromCharCode(code))) this.#keep(byte);
  }

  #endString(): void {
    const kept = this.#kept;
    const text =
      kept === undefined || this.#overflow
        ? undefined
        : // Keys are only compared with ASCII names: no need to decode them.
          !this.#isKey && /[\x80-\xff]/.test(kept)
          ? Buffer.from(kept, 'latin1').toString('utf8')
          : kept;
    this.#kept = undefined;
    if (this.#isKey) {
      // An over-long key is kept as something no rule names.
      this.#keys[this.#keys.length - 1] = text ?? '\u0000';
      this.#mode = Mode.Colon;
      return;
    }
    if (text !== undefined) this.#emit(text);
    this.#afterScalar();
  }

  #endToken(): void {
    const token = this.#token;
    this.#token = '';
    let value: JsonScalar;
    if (this.#mode === Mode.Number) {
      value = token.length > MAX_NUMBER_CHARS ? Number.NaN : Number(token);
      if (Number.isNaN(value) && token.length <= MAX_NUMBER_CHARS) {
        this.#mode = Mode.Failed;
        return;
      }
    } else if (token === 'true' || token === 'false' || token === 'null') {
      value = token === 'null' ? null : token === 'true';
    } else {
      this.#mode = Mode.Failed;
      return;
    }
    if (typeof value !== 'number' || Number.isFinite(value)) this.#emit(value);
    this.#afterScalar();
  }

  /** The nearest key of the value being read (undefined at the top level or in bare arrays). */
  #leaf(): string | undefined {
    for (let level = this.#keys.length - 1; level >= 0; level--) {
      const key = this.#keys[level];
      if (key !== undefined) return key;
    }
    return undefined;
  }

  #path(): string {
    return this.#keys.filter((key) => key !== undefined).join('.');
  }

  #wantedCap(): number {
    const leaf = this.#leaf();
    return leaf !== undefined && this.#visitor.leaves.has(leaf)
      ? this.#visitor.stringCap(this.#path())
      : 0;
  }

  #emit(value: JsonScalar): void {
    const leaf = this.#leaf();
    if (leaf !== undefined && this.#visitor.leaves.has(leaf))
      this.#visitor.value(this.#path(), value);
  }
}

/** Bytes of the one-character escapes (`\n`, `\"`, ...), by the escape letter. */
const ESCAPES: Record<number, number> = {
  0x22: 0x22,
  0x5c: 0x5c,
  0x2f: 0x2f,
  0x62: 0x08,
  0x66: 0x0c,
  0x6e: 0x0a,
  0x72: 0x0d,
  0x74: 0x09,
};

function isNumberChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45
  );
}
