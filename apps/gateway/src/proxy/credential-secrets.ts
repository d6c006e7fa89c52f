/**
 * The secret values a credential put on a request: header values it added or
 * changed that the redactor recognises as secret (an auth scheme such as
 * `Bearer ` stripped), in the forms an upstream may echo them in. These are
 * what a reflecting upstream could hand back to the agent.
 */
export function credentialSecrets(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  isSecret: (value: string) => boolean,
): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (before[name] === value) continue;
    const bare = value.replace(/^(?:bearer|token)\s+/i, '');
    if (isSecret(bare)) secrets.push(...echoForms(bare));
  }
  return secrets;
}

/** A value as it may come back: raw, URL-encoded (either hex case), JSON-escaped. */
function echoForms(value: string): string[] {
  const encoded = encodeURIComponent(value);
  return [
    value,
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    JSON.stringify(value).slice(1, -1).replaceAll('/', '\\/'),
  ];
}
