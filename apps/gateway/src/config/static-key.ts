/** Values the workflow compiler writes for offline mode; they mean "no key". */
const PLACEHOLDERS = [/^dummy-byok-key-for-offline-mode$/, /^ghu_a+$/];

/** An accidental scheme in front of a key (`Bearer sk-...`, `token ghp_...`). */
const SCHEME_PREFIX = /^(?:bearer|token)(?:\s+|$)/i;

/**
 * The usable static key in `value`, or undefined when it is absent, empty or a
 * placeholder. A leading `Bearer ` / `token ` is stripped.
 */
export function staticKey(value: string | undefined): string | undefined {
  const key = value?.trim().replace(SCHEME_PREFIX, '').trim();
  if (!key || PLACEHOLDERS.some((p) => p.test(key))) return undefined;
  return key;
}
