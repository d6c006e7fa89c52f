import { asciiLower } from './secret-index.ts';

/**
 * The spellings in which a secret can come back from a service that echoes it:
 * raw (and, for a JWT, each segment), URL-, form-, JSON-, HTML-encoded and base64.
 */
export interface SecretForms {
  /** Spellings made of the secret's own characters: any long enough piece of them is a leak. */
  readonly raw: readonly string[];
  /** Encoded spellings: redacted when they appear whole. */
  readonly encoded: readonly string[];
}

/** One spelling as a matcher keeps it. */
export interface IndexedSpelling {
  /** The spelling, ASCII-lower-cased (matching is case-insensitive). */
  readonly lower: string;
  /** True for a raw form: any long enough run of it is a leak, not only the whole. */
  readonly partial: boolean;
}

/** Base64 forms shorter than this are not kept: a short fragment matches ordinary text. */
const MIN_BASE64_LENGTH = 12;

const NON_ALPHANUMERIC = /[^A-Za-z0-9]/gu;
const JWT_SEGMENT = /^[\w-]*$/;

/** Each non-alphanumeric character (code point) of `value` replaced by `escape(it)`. */
function escapeNonAlphanumeric(value: string, escape: (char: string) => string): string {
  return value.replace(NON_ALPHANUMERIC, escape);
}

const UTF8 = new TextEncoder();
const percentBytes = (char: string): string =>
  Array.from(UTF8.encode(char), (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
const unicodeEscape = (char: string): string =>
  Array.from(
    { length: char.length },
    (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`,
  ).join('');
const codePoint = (char: string): number => char.codePointAt(0) ?? 0;

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Base64 (standard and URL alphabets) of `value` at the three byte alignments it can
 * have inside a longer encoded blob (`Basic` credentials, a cookie): only the characters
 * that depend on the secret's bytes alone, so that the form matches wherever it sits.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // The first group mixes the shift's zero bytes in; the last partial group depends on what follows.
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor((shift + bytes.length) / 3) * 4;
    const stable = encoded.slice(start, end);
    forms.push(stable, stable.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms.filter((form) => form.length >= MIN_BASE64_LENGTH);
}

/** The parts of a JWS / JWE compact serialization, or undefined when `value` is not one. */
function jwtSegments(value: string): string[] | undefined {
  const parts = value.split('.');
  if ((parts.length !== 3 && parts.length !== 5) || !parts.every((part) => JWT_SEGMENT.test(part)))
    return undefined;
  return value.startsWith('eyJ') ? parts : undefined;
}

/**
 * Every form of `value` worth redacting, without duplicates. A JWT is kept also
 * as its segments (so that the token is caught whatever spelling its dots take:
 * `%2E`, `\u002e`, `&#46;`) and the base64 of the whole; other secrets as the value and
 * each encoding: `encodeURIComponent`, form encoding (`+` for space), every
 * non-alphanumeric percent-encoded, JSON (also with `\/` and with `\u00XX`
 * escapes), HTML (named, decimal and hex entities) and base64. Hex digits and
 * letters are matched case-insensitively by the redactor, so one case is enough here.
 */
export function secretForms(value: string, minLength: number): SecretForms {
  const segments = jwtSegments(value);
  // The whole value too: a segment may be too short to be kept on its own.
  const raw = [value, ...(segments ?? [])].filter((part) => part.length >= minLength);
  // Only characters other than letters and digits have other spellings.
  const plain = segments !== undefined || !/[^A-Za-z0-9]/.test(value);
  const encoded = [
    ...(plain
      ? []
      : [
          encodeURIComponent(value),
          new URLSearchParams({ v: value }).toString().slice(2),
          escapeNonAlphanumeric(value, percentBytes),
          JSON.stringify(value).slice(1, -1),
          JSON.stringify(value).slice(1, -1).replaceAll('/', '\\/'),
          escapeNonAlphanumeric(value, unicodeEscape),
          value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char),
          escapeNonAlphanumeric(value, (char) => `&#${codePoint(char)};`),
          escapeNonAlphanumeric(value, (char) => `&#x${codePoint(char).toString(16)};`),
        ]),
    ...base64Forms(value),
  ].filter((form) => form.length >= minLength && !raw.includes(form));
  return { raw, encoded: [...new Set(encoded)] };
}

/** The spellings of `value` a matcher indexes (see `secretForms`): raw ones partial, encoded ones whole. */
export function indexedSpellings(value: string, minLength: number): IndexedSpelling[] {
  const { raw, encoded } = secretForms(value, minLength);
  return [
    ...raw.map((form) => ({ lower: asciiLower(form), partial: true })),
    ...encoded.map((form) => ({ lower: asciiLower(form), partial: false })),
  ];
}
