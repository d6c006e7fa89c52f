/** Query keys that carry API keys in some SDKs; never forwarded. */
export const STRIPPED_QUERY_KEYS: ReadonlySet<string> = new Set(['key', 'api_key']);

/** The request target cannot be proxied (absolute-form, `//host`, dot segments, ...). */
export class BadRequestTargetError extends Error {
  constructor(reason: string) {
    super(
      `request target rejected: ${reason}; send an origin-form path such as /v1/chat/completions`,
    );
    this.name = 'BadRequestTargetError';
  }
}

/**
 * The path and query to send upstream for a client's raw request target:
 * the route's base path (unless the client path already starts with it),
 * then the client's path byte for byte (malformed escapes included), then
 * its query without API-key parameters. Anything that could move the request off the upstream origin or
 * out of the base path throws BadRequestTargetError.
 */
export function upstreamPath(rawTarget: string, basePath: string): string {
  if (!rawTarget.startsWith('/')) throw new BadRequestTargetError('not origin-form');
  const queryAt = rawTarget.indexOf('?');
  const path = queryAt < 0 ? rawTarget : rawTarget.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rawTarget.slice(queryAt + 1);

  // `//host` and `\` (which URL parsers treat as `/`) would change the origin.
  if (path.startsWith('//')) throw new BadRequestTargetError('path starts with //');
  if (/\\|%5c/i.test(path)) throw new BadRequestTargetError('backslash in path');
  // Malformed escapes (`%zz`) pass untouched: nothing here decodes the path, and the upstream
  // answers for its own syntax. Only what could climb out of the base path is refused: a dot
  // segment, plain or encoded, also one an upstream would see after decoding `%2F`.
  for (const segment of path.split('/')) {
    for (const part of segment.replace(/%2e/gi, '.').split(/%2f/i)) {
      if (part === '.' || part === '..') throw new BadRequestTargetError('dot segment in path');
    }
  }

  const prefixed =
    basePath && path !== basePath && !path.startsWith(`${basePath}/`) ? `${basePath}${path}` : path;
  const kept = query
    .split('&')
    .filter((pair) => pair !== '' && !STRIPPED_QUERY_KEYS.has(queryKey(pair)));
  return kept.length ? `${prefixed}?${kept.join('&')}` : prefixed;
}

function queryKey(pair: string): string {
  const name = pair.split('=', 1)[0]!;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
