import { JsonScanner, type JsonScalar, type JsonVisitor } from './json-scanner.ts';
import { boundModel, MAX_MODEL_CHARS } from './request-model.ts';
import { NO_TOKENS, type TokenKind, type TokenUsage } from './token-usage.ts';
import type { DocumentRules } from './wire-shapes.ts';

/** Longest base64 string decoded as a nested document (usage events are small; content deltas are skipped). */
export const MAX_NESTED_BYTES = 1024 * 1024;

/** One JSON document of an answer being read: fed bytes, then committed or dropped. */
export interface DocumentReader {
  write(chunk: Uint8Array, start: number, end: number): void;
  /** `commit` false drops what the document reported (a frame whose CRC failed). */
  end(commit: boolean): void;
}

/**
 * How the documents of one answer add up. `latest`: each kind takes the last
 * count reported (streams repeat cumulative counts: Anthropic's `message_delta`,
 * Gemini's chunks). `sum`: each document is one more response (a WebSocket
 * session answers many).
 */
export type Accumulation = 'latest' | 'sum';

/** Gathers usage and the model over the JSON documents of one answer. */
export class UsageAccumulator {
  readonly #mode: Accumulation;
  readonly #totals: Record<TokenKind, number> = { ...NO_TOKENS };
  #reported = false;
  #model: string | undefined;

  constructor(mode: Accumulation) {
    this.#mode = mode;
  }

  get usage(): TokenUsage {
    return { ...this.#totals };
  }

  /** True when any document reported a count. */
  get reported(): boolean {
    return this.#reported;
  }

  /** The first model an answer document named. */
  get model(): string | undefined {
    return this.#model;
  }

  /** A reader of one more document laid out by `rules`. */
  document(rules: DocumentRules): DocumentReader {
    const values = new Map<string, readonly [TokenKind, number]>();
    let model: string | undefined;
    const scanner = this.#scanner(rules, '', values, (name) => (model ??= name));
    return {
      write: (chunk, start, end) => scanner.write(chunk, start, end),
      end: (commit) => {
        if (!commit) return;
        // Fields of one kind add up within a document (Gemini's candidates + thoughts).
        const counts = new Map<TokenKind, number>();
        for (const [kind, count] of values.values())
          counts.set(kind, (counts.get(kind) ?? 0) + count);
        this.commit(counts, model);
      },
    };
  }

  /** Adds the counts of one document (or of answer headers). */
  commit(counts: ReadonlyMap<TokenKind, number>, model?: string): void {
    for (const [kind, count] of counts) {
      this.#totals[kind] = this.#mode === 'sum' ? this.#totals[kind] + count : count;
      this.#reported = true;
    }
    this.#model ??= boundModel(model);
  }

  /** A scanner that records each count field's latest value by path (`prefix` keeps nested paths apart). */
  #scanner(
    rules: DocumentRules,
    prefix: string,
    values: Map<string, readonly [TokenKind, number]>,
    onModel: (model: string) => void,
  ): JsonScanner {
    const { leaves, containers } = lookOutFor(rules);
    return new JsonScanner({
      leaves,
      containers,
      stringCap: (path) => {
        if (path === rules.nested?.path) return MAX_NESTED_BYTES;
        return rules.fields.get(path) === 'model' ? MAX_MODEL_CHARS * 4 : 0;
      },
      value: (path, value) => {
        if (path === rules.nested?.path) {
          if (typeof value === 'string') {
            const inner = this.#scanner(rules.nested.rules, `${prefix}${path}>`, values, onModel);
            inner.write(Buffer.from(value, 'base64'));
          }
          return;
        }
        const field = rules.fields.get(path);
        if (field === 'model') {
          if (typeof value === 'string') onModel(value);
        } else if (field && isCount(value)) {
          // A path seen again (chunks of a JSON array) replaces its earlier count.
          values.set(prefix + path, [field, value]);
        }
      },
    });
  }
}

const LOOK_OUT = new WeakMap<DocumentRules, Pick<JsonVisitor, 'leaves' | 'containers'>>();

/** The last keys of every path `rules` name, and every container on the way, computed once per table. */
function lookOutFor(rules: DocumentRules): Pick<JsonVisitor, 'leaves' | 'containers'> {
  let found = LOOK_OUT.get(rules);
  if (!found) {
    const paths = [...rules.fields.keys(), ...(rules.nested ? [rules.nested.path] : [])];
    const containers = new Set<string>();
    for (const path of paths) {
      const keys = path.split('.');
      for (let n = 1; n < keys.length; n++) containers.add(keys.slice(0, n).join('.'));
    }
    const leaves = new Set(paths.map((path) => path.slice(path.lastIndexOf('.') + 1)));
    found = { leaves, containers };
    LOOK_OUT.set(rules, found);
  }
  return found;
}

/** A token count: a non-negative safe integer (an upstream may send anything). */
function isCount(value: JsonScalar): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
