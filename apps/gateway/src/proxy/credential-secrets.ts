/**
 * The header values a credential added or changed on a request (an auth
 * scheme such as `Bearer ` stripped): what a reflecting upstream could hand
 * back to the agent.
 */
export function attachedValues(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (before[name] !== value) values.push(value.replace(/^(?:bearer|token)\s+/i, ''));
  }
  return values;
}
