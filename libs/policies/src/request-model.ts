/** Where a request names its model, and which model. */
export interface NamedModel {
  readonly model: string;
  readonly modelIn: 'body' | 'path';
}

/**
 * Paths that carry the model, in the order tried. The path wins over a body
 * `model` field: it is what the upstream serves.
 * - Bedrock runtime: `/model/{modelId}/invoke|converse[-stream]...` (the id URL-encoded: ARNs).
 * - Vertex and the Gemini API: `.../models/{model}:generateContent` (also `publishers/*`).
 * - Azure OpenAI classic: `/openai/deployments/{deployment}/...`: the deployment is the model.
 */
const PATH_MODELS: readonly RegExp[] = [
  /^\/model\/([^/?]+)\/(?:invoke|converse)/,
  /\/models\/([^/:?]+):[A-Za-z]+/,
  /^\/openai\/deployments\/([^/?]+)\//,
];

/** The model a request names, in its path or in its JSON body's `model` field. */
export function requestModel(path: string, body: Uint8Array | undefined): NamedModel | undefined {
  for (const pattern of PATH_MODELS) {
    const match = pattern.exec(path);
    if (match?.[1]) return { model: decode(match[1]), modelIn: 'path' };
  }
  const json = jsonObject(body);
  if (json && typeof json.model === 'string' && json.model !== '') {
    return { model: json.model, modelIn: 'body' };
  }
  // WebSocket handshakes (OpenAI Realtime) name the model in the query.
  const query = path.indexOf('?');
  const fromQuery = query < 0 ? null : new URLSearchParams(path.slice(query + 1)).get('model');
  return fromQuery ? { model: fromQuery, modelIn: 'path' } : undefined;
}

/** True when the body is a JSON object (a body model can then be added or replaced). */
export function hasJsonObjectBody(body: Uint8Array | undefined): boolean {
  return jsonObject(body) !== undefined;
}

/** `body` with its `model` field replaced (the body must be a JSON object). */
export function rewriteBodyModel(body: Uint8Array | undefined, model: string): Buffer {
  const json = jsonObject(body);
  if (!json) throw new Error('the request body is not a JSON object');
  return Buffer.from(JSON.stringify({ ...json, model }), 'utf8');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const OPEN_BRACE = 0x7b;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function jsonObject(body: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!body?.length) return undefined;
  // Cheap sniff first: most bodies that are not JSON objects are never parsed.
  let first = 0;
  while (first < body.length && WHITESPACE.has(body[first]!)) first++;
  if (body[first] !== OPEN_BRACE) return undefined;
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    );
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
