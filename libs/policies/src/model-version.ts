/**
 * The api-proxy's order of candidate models: by the numbers in their names,
 * highest first (`claude-sonnet-4.6` before `claude-sonnet-4.5`), then by name.
 */
export function compareByVersion(a: string, b: string): number {
  const av = a.match(/\d+/g)?.map(Number) ?? [];
  const bv = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(av.length, bv.length); i++) {
    const difference = (bv[i] ?? 0) - (av[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.localeCompare(b);
}
