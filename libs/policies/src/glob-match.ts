/**
 * The api-proxy's model patterns: `*` matches any run of characters, every
 * other character matches itself, case-insensitively. `gpt-5*` matches
 * `GPT-5.1-codex`; `?` and `.` are literal.
 */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(value.toLowerCase());
}

/** True when the pattern names one model (no wildcard). */
export function isConcrete(pattern: string): boolean {
  return !pattern.includes('*');
}
