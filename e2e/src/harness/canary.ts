/**
 * Every secret from `secrets` found in `texts`, as `label: secret-prefix...`
 * (the prefix keeps a failing test's own output from leaking the value).
 */
export function findLeaks(texts: Record<string, string>, secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const [label, text] of Object.entries(texts)) {
    for (const secret of secrets) {
      if (secret && text.includes(secret)) leaks.push(`${label}: ${secret.slice(0, 4)}...`);
    }
  }
  return leaks;
}

/** Shortest piece of a secret that counts as a leak when found anywhere. */
export const LEAK_PIECE_LENGTH = 16;

const escapeAll = (value: string, escape: (char: string) => string) =>
  value.replace(/[^A-Za-z0-9]/gu, escape);

/**
 * The spellings a secret can leak in, computed here independently of the
 * gateway's redactor: raw; URL-encoded (each reserved character, and every
 * non-alphanumeric one, `%2E` dots included); form-encoded; JSON-escaped (also
 * `\u002e`-style); HTML entities (named, `&#46;`, `&#x2e;`); base64 and base64url
 * at each byte alignment.
 */
export function leakSpellings(secret: string): string[] {
  const hex = (char: string) =>
    Array.from(Buffer.from(char), (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
  const spellings = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    escapeAll(secret, hex),
    JSON.stringify(secret).slice(1, -1),
    escapeAll(secret, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    secret.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`),
    escapeAll(secret, (char) => `&#${char.codePointAt(0)};`),
    escapeAll(secret, (char) => `&#x${(char.codePointAt(0) ?? 0).toString(16)};`),
  ];
  for (const shift of [0, 1, 2]) {
    const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]);
    // Only the characters that depend on the secret's bytes alone.
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor(bytes.length / 3) * 4;
    spellings.push(
      bytes.toString('base64').slice(start, end),
      bytes.toString('base64url').slice(start, end),
    );
  }
  return [...new Set(spellings)].filter((spelling) => spelling.length >= LEAK_PIECE_LENGTH);
}

/**
 * Every leak of a secret in any spelling (see `leakSpellings`, compared
 * case-insensitively) or any LEAK_PIECE_LENGTH-character piece of one, as
 * `label: spelling #n at offset` (never the secret itself). For the adversarial
 * suites: a service that echoes, cuts or re-encodes a secret must not get any
 * part of it through.
 */
export function findLeaksInAnyForm(
  texts: Record<string, string>,
  secrets: readonly string[],
): string[] {
  const leaks = new Set<string>();
  const pieces = new Map<string, string>();
  for (const [s, secret] of secrets.entries()) {
    leakSpellings(secret).forEach((spelling, n) => {
      const lower = spelling.toLowerCase();
      for (let at = 0; at + LEAK_PIECE_LENGTH <= lower.length; at += 1) {
        pieces.set(lower.slice(at, at + LEAK_PIECE_LENGTH), `secret #${s} spelling #${n} at ${at}`);
      }
    });
  }
  for (const [label, text] of Object.entries(texts)) {
    const lower = text.toLowerCase();
    for (let at = 0; at + LEAK_PIECE_LENGTH <= lower.length; at += 1) {
      const found = pieces.get(lower.slice(at, at + LEAK_PIECE_LENGTH));
      if (found) leaks.add(`${label}: ${found}`);
    }
  }
  return [...leaks];
}
