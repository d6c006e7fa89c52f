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
