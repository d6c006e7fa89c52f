/** Length of the pieces the index is keyed by (the shortest secret the redactor keeps). */
const GRAM = 6;
/** Distance between indexed pieces of a raw form: any run of GRAM + STRIDE - 1 characters holds one. */
const STRIDE = 8;
/** A run of a raw form at least this long is a leak, wherever it starts (truncated or split echoes). */
export const MIN_PARTIAL_LEAK = 16;

interface Posting {
  readonly hash: number;
  /** ASCII-lower-cased form. */
  readonly form: string;
  /** Where the indexed piece starts in `form`. */
  readonly offset: number;
  /** True when any run of MIN_PARTIAL_LEAK characters counts; false when only the whole form does. */
  readonly partial: boolean;
  /** Position in its bucket (for removal in constant time). */
  slot: number;
}

/** What `add` returns and `remove` takes: the postings of one form. */
export type IndexedForm = readonly Posting[];

/** A half-open range `[start, end)` of text to redact. */
export type Range = readonly [start: number, end: number];

const fold = (code: number): number => (code >= 65 && code <= 90 ? code + 32 : code);

/** 31 ** (GRAM - 1), wrapped to 32 bits: what the first character of a piece weighs in its hash. */
const FIRST_WEIGHT = 31 ** (GRAM - 1);
/** Slots of the presence filter: a position whose slot is empty needs no map lookup. */
const FILTER_SLOTS = 1 << 12;
const slotOf = (hash: number): number => (hash ^ (hash >>> 12)) & (FILTER_SLOTS - 1);

function hashAt(text: string, at: number): number {
  let hash = 0;
  for (let i = at; i < at + GRAM; i += 1)
    hash = (Math.imul(hash, 31) + fold(text.charCodeAt(i))) | 0;
  return hash;
}

/** ASCII letters lower-cased; every other character kept, so lengths and offsets stay equal. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * Finds registered forms in text, ASCII-case-insensitively, in time linear in
 * the text (one hash lookup per position) whatever the number of forms: each
 * form is indexed by pieces of GRAM characters (only its start for a form that
 * must match whole, every STRIDE characters for a raw form), and a hit is
 * extended in both directions along the form.
 */
export class SecretIndex {
  /** Set by `sampled`: every `stride`-th offset of a form is indexed, every `step`-th text position looked up. */
  #sampling: { readonly stride: number; readonly step: number } | undefined;
  readonly #postings = new Map<number, Posting[]>();
  /** Postings per filter slot: most positions of a text are rejected here, without hashing a map. */
  readonly #filter = new Uint32Array(FILTER_SLOTS);
  #size = 0;

  /**
   * An index of a fixed set of ASCII-lower-cased forms, any run of
   * MIN_PARTIAL_LEAK characters of which counts, for long texts (answer
   * bodies): `find` looks up every fifth text position, not each one. Every
   * other offset of a form is indexed; 2 and 5 being coprime, a run that holds
   * 10 pieces holds one at an indexed offset and a looked-up position. Forms
   * too short for that are indexed at every offset, looked up more often.
   */
  static sampled(forms: readonly string[]): SecretIndex {
    const index = new SecretIndex();
    const pieces = Math.min(
      ...forms
        .filter((form) => form.length >= GRAM)
        .map((form) => Math.min(MIN_PARTIAL_LEAK, form.length) - GRAM + 1),
    );
    index.#sampling = pieces >= 10 ? { stride: 2, step: 5 } : { stride: 1, step: pieces };
    for (const form of forms) index.add(form, true);
    return index;
  }

  /** Pieces indexed (the index's memory, in postings). */
  get size(): number {
    return this.#size;
  }

  /** Indexes an ASCII-lower-cased form (at least GRAM characters); `partial` makes any long enough run of it match. */
  add(lower: string, partial: boolean): IndexedForm {
    if (lower.length < GRAM) return [];
    const last = partial ? lower.length - GRAM : 0;
    const stride = this.#sampling?.stride ?? STRIDE;
    const postings: Posting[] = [];
    for (let offset = 0; offset <= last; offset += stride) {
      const hash = hashAt(lower, offset);
      const bucket = this.#postings.get(hash);
      const posting: Posting = { hash, form: lower, offset, partial, slot: bucket?.length ?? 0 };
      if (bucket) bucket.push(posting);
      else this.#postings.set(hash, [posting]);
      this.#filter[slotOf(hash)]! += 1;
      postings.push(posting);
    }
    this.#size += postings.length;
    return postings;
  }

  /** Removes what `add` indexed. */
  remove(indexed: IndexedForm): void {
    for (const posting of indexed) {
      const bucket = this.#postings.get(posting.hash);
      if (bucket?.[posting.slot] !== posting) continue;
      const moved = bucket.pop()!;
      if (moved !== posting) {
        bucket[posting.slot] = moved;
        moved.slot = posting.slot;
      }
      if (bucket.length === 0) this.#postings.delete(posting.hash);
      this.#filter[slotOf(posting.hash)]! -= 1;
      this.#size -= 1;
    }
  }

  /** The ranges of `text` that hold a form (whole, or a run of MIN_PARTIAL_LEAK of a raw form), sorted, overlaps merged. */
  find(text: string): Range[] {
    if (this.#size === 0 || text.length < GRAM) return [];
    if (this.#sampling) return this.#findSampled(text, this.#sampling.step);
    const found: [number, number][] = [];
    let coveredUntil = 0;
    let hash = hashAt(text, 0);
    for (let at = 0; ; at += 1) {
      // Inside a range already found: nothing new can start here that the merge would not cover.
      if (at + GRAM > coveredUntil && this.#filter[slotOf(hash)] !== 0) {
        for (const posting of this.#postings.get(hash) ?? []) {
          const range = match(text, at, posting);
          if (range === undefined) continue;
          found.push(range);
          coveredUntil = Math.max(coveredUntil, range[1]);
        }
      }
      if (at + GRAM >= text.length) break;
      // The next piece's hash from this one's (the same value hashAt computes).
      hash =
        (Math.imul(hash - Math.imul(fold(text.charCodeAt(at)), FIRST_WEIGHT), 31) +
          fold(text.charCodeAt(at + GRAM))) |
        0;
    }
    return found.length > 1 ? merge(found) : found;
  }

  #findSampled(text: string, step: number): Range[] {
    const found: [number, number][] = [];
    for (let at = 0; at + GRAM <= text.length; at += step) {
      const hash = hashAt(text, at);
      if (this.#filter[slotOf(hash)] === 0) continue;
      for (const posting of this.#postings.get(hash) ?? []) {
        const range = match(text, at, posting);
        if (range !== undefined) found.push(range);
      }
    }
    return found.length > 1 ? merge(found) : found;
  }
}

/** The run of `posting.form` around `text[at..]`, if it is long enough to count (the whole form, for a form that is not partial). */
function match(
  text: string,
  at: number,
  { form, offset, partial }: Posting,
): [number, number] | undefined {
  let end = 0;
  while (
    offset + end < form.length &&
    at + end < text.length &&
    fold(text.charCodeAt(at + end)) === form.charCodeAt(offset + end)
  ) {
    end += 1;
  }
  if (end < GRAM) return undefined; // a hash collision
  let back = 0;
  while (
    back < offset &&
    back < at &&
    fold(text.charCodeAt(at - back - 1)) === form.charCodeAt(offset - back - 1)
  ) {
    back += 1;
  }
  if (!partial)
    return back === offset && offset + end === form.length ? [at - back, at + end] : undefined;
  const length = back + end;
  return length >= Math.min(MIN_PARTIAL_LEAK, form.length) ? [at - back, at + end] : undefined;
}

function merge(ranges: [number, number][]): Range[] {
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}
