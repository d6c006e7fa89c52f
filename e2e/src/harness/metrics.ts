/**
 * The value of the first `name{...}` sample in Prometheus text whose labels
 * include every pair of `labels`; undefined when there is none.
 */
export function metricSample(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const present = match[2]!.split(',');
    if (pairs.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return undefined;
}
