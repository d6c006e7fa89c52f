/** Longest remote text (an answer's error description, an SDK message) an error message quotes, characters. */
export const REMOTE_TEXT_MAX_CHARS = 300;

/** Longest description of an error and its causes (log field, status, 503 body), characters. */
export const DESCRIBE_MAX_CHARS = 1000;

/**
 * `text` as one line of at most `maxChars` characters (whitespace runs and
 * control characters become one space, `...` marks a cut). Only ever applied to
 * text that is already redacted: cutting first could leave the head of a secret
 * that the redactor no longer recognises.
 */
export function boundedLine(text: string, maxChars: number): string {
  // eslint-disable-next-line no-control-regex -- control characters would break a log line or a header.
  const line = text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  if (line.length <= maxChars) return line;
  return `${line.slice(0, Math.max(0, maxChars - 3))}...`;
}
