import { JsonScanner } from './json-scanner.ts';

/** Longest model name kept, characters. */
export const MAX_MODEL_CHARS = 200;
/** Request body bytes searched for a top-level `model`: bounded so that a huge prompt costs no time. */
export const MODEL_SEARCH_BYTES = 256 * 1024;

/** Model ids in paths: Bedrock `/model/{id}/{op}`, Gemini and Vertex `/models/{m}:{method}`, Azure `/deployments/{d}/`. */
const PATH_MODELS = [
  /\/model\/([^/]+)\/(?:converse|converse-stream|invoke|invoke-with-response-stream)$/,
  /\/models\/([^/:]+):[A-Za-z]+$/,
  /\/deployments\/([^/]+)\//,
];

/**
 * The model a request names: in its path (Bedrock model id, Vertex publisher
 * model, Azure deployment), else the body's top-level `model` within the first
 * {@link MODEL_SEARCH_BYTES}. Undefined when neither names one.
 */
export function requestModel(path: string, body?: Uint8Array): string | undefined {
  const bare = path.split('?', 1)[0]!;
  for (const pattern of PATH_MODELS) {
    const match = pattern.exec(bare);
    if (match) return boundModel(decodeOnce(match[1]!));
  }
  return body ? bodyModel(body.subarray(0, MODEL_SEARCH_BYTES)) : undefined;
}

/** A model name cut to {@link MAX_MODEL_CHARS}, or undefined when empty. */
export function boundModel(model: string | undefined): string | undefined {
  const trimmed = model?.trim();
  return trimmed ? trimmed.slice(0, MAX_MODEL_CHARS) : undefined;
}

function bodyModel(body: Uint8Array): string | undefined {
  let model: string | undefined;
  const scanner = new JsonScanner({
    leaves: new Set(['model']),
    containers: new Set(),
    stringCap: (path) => (path === 'model' ? MAX_MODEL_CHARS * 4 : 0),
    value: (path, value) => {
      if (path === 'model' && typeof value === 'string') model ??= value;
    },
  });
  const SLICE = 16 * 1024;
  for (let at = 0; at < body.length && model === undefined && !scanner.failed; at += SLICE) {
    scanner.write(body, at, Math.min(at + SLICE, body.length));
  }
  return boundModel(model);
}

function decodeOnce(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
