/** Where a request names its model, and which model. */
export interface NamedModel {
  readonly model: string;
  readonly modelIn: 'body' | 'path';
}

/**
 * Paths that carry the model, in the order tried. The path wins over a body
 * `model` field: it is what the upstream serves. Matched on the path with its
 * percent-escapes decoded (but `/`, `?`, `#` and `%` kept encoded), as the
 * upstream reads it: `models/x%3AgenerateContent` names model `x`.
 * - Bedrock runtime: `/model/{modelId}/invoke|converse[-stream]...` (the id URL-encoded: ARNs).
 * - Vertex and the Gemini API: `.../models/{model}:generateContent` (also `publishers/*`).
 * - Azure OpenAI classic: `/openai/deployments/{deployment}/...`: the deployment is the model.
 */
const PATH_MODELS: readonly RegExp[] = [
  /^\/model\/([^/?]+)\/(?:invoke|converse)/,
  /\/models\/([^/:?]+):[A-Za-z]+/,
  /^\/openai\/deployments\/([^/?]+)\//,
];

/** The model a request names in its path (or a WebSocket handshake's `?model=`). */
export function pathModel(path: string): string | undefined {
  const query = path.indexOf('?');
  const matched = decodeForMatching(query < 0 ? path : path.slice(0, query));
  for (const pattern of PATH_MODELS) {
    const match = pattern.exec(matched);
    if (match?.[1]) return decode(match[1]);
  }
  return undefined;
}

/** The `?model=` of a request (OpenAI Realtime and Responses WebSocket handshakes). */
export function queryModel(path: string): string | undefined {
  const query = path.indexOf('?');
  if (query < 0) return undefined;
  return new URLSearchParams(path.slice(query + 1)).get('model') || undefined;
}

/** The `model` field of a JSON object body, when it is a non-empty string. */
export function bodyModel(json: Readonly<Record<string, unknown>> | undefined): string | undefined {
  return json && typeof json.model === 'string' && json.model !== '' ? json.model : undefined;
}

/**
 * The model a request names: in its path, else in its JSON body's `model`
 * field (`json` is asked only then: reading a body may mean decompressing
 * it), else in its `?model=`.
 */
export function namedModel(
  path: string,
  json: () => Readonly<Record<string, unknown>> | undefined,
): NamedModel | undefined {
  const inPath = pathModel(path);
  if (inPath !== undefined) return { model: inPath, modelIn: 'path' };
  const inBody = bodyModel(json());
  if (inBody !== undefined) return { model: inBody, modelIn: 'body' };
  const inQuery = queryModel(path);
  return inQuery === undefined ? undefined : { model: inQuery, modelIn: 'path' };
}

/** A request body as JSON. */
export type JsonBody =
  /** Empty, or not JSON (it does not start with `{` or `[` and is not declared JSON). */
  | { readonly kind: 'none' }
  | { readonly kind: 'object'; readonly value: Readonly<Record<string, unknown>> }
  /** Valid JSON that is not an object (an array, a string...). */
  | { readonly kind: 'other' }
  /** Looks like or is declared JSON, but does not parse: what the upstream reads of it is unknown. */
  | { readonly kind: 'invalid' };

const NONE: JsonBody = { kind: 'none' };
const BOM = [0xef, 0xbb, 0xbf] as const;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * The body as JSON. A UTF-8 byte order mark is skipped (upstream parsers
 * accept it); a body that is declared JSON (`declaredJson`) or starts like
 * JSON must parse, or it is `invalid`.
 */
export function readJsonBody(body: Uint8Array | undefined, declaredJson = false): JsonBody {
  if (!body?.length) return NONE;
  let first = BOM.every((byte, index) => body[index] === byte) ? BOM.length : 0;
  const start = first;
  while (first < body.length && WHITESPACE.has(body[first]!)) first++;
  // Cheap sniff first: most bodies that are not JSON are never parsed.
  if (!declaredJson && body[first] !== OPEN_BRACE && body[first] !== OPEN_BRACKET) return NONE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      Buffer.from(body.buffer, body.byteOffset + start, body.byteLength - start).toString('utf8'),
    );
  } catch {
    return { kind: 'invalid' };
  }
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? { kind: 'object', value: parsed as Record<string, unknown> }
    : { kind: 'other' };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Escapes whose decoding would change the path's structure; kept for the one final decoding. */
const STRUCTURAL = new Set(['2f', '3f', '23', '25']);

/** `path` with every percent-escape decoded but those of `/`, `?`, `#` and `%`. */
function decodeForMatching(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(/%([0-9a-f]{2})/gi, (escape, hex: string) =>
    STRUCTURAL.has(hex.toLowerCase()) || parseInt(hex, 16) >= 0x80
      ? escape
      : String.fromCharCode(parseInt(hex, 16)),
  );
}
