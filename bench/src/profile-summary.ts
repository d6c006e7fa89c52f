/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one function or one place, as a share of all samples. */
export interface Hotspot {
  readonly name: string;
  /** Package, repository file or `(native)`. */
  readonly where: string;
  /** Percent of the busy samples (idle excluded). */
  readonly selfPercent: number;
}

/** What a profile says about where the time goes. */
export interface ProfileSummary {
  /** Percent of all samples in `(idle)`: the event loop waiting (the gateway idles while other targets run). */
  readonly idlePercent: number;
  readonly functions: readonly Hotspot[];
  /** Self time summed per package or folder of the repository. */
  readonly places: readonly Hotspot[];
}

/** `node_modules/@scope/pkg/...` -> `@scope/pkg`; a repository file -> its package folder; else as is. */
export function placeOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node (internal)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const repo = /\/((?:apps|libs|e2e)\/[^/]+)\/src\//.exec(url);
  return repo ? repo[1]! : url.replace(/^file:\/\//, '');
}

function fileOf(url: string): string {
  const repo = /\/((?:apps|libs)\/.*)$/.exec(url);
  if (repo) return repo[1]!;
  const modules = url.lastIndexOf('/node_modules/');
  return modules === -1
    ? url.replace(/^file:\/\//, '')
    : url.slice(modules + '/node_modules/'.length);
}

function top(
  map: Map<string, { where: string; name: string; ticks: number }>,
  total: number,
  count: number,
): Hotspot[] {
  return [...map.values()]
    .sort((a, b) => b.ticks - a.ticks)
    .slice(0, count)
    .map(({ name, where, ticks }) => ({ name, where, selfPercent: (100 * ticks) / total }));
}

/**
 * Self time per function and per package as a share of the busy time, weighted
 * by the sampling intervals (`timeDeltas`) of a `node --cpu-prof` profile.
 */
export function summarizeProfile(profile: CpuProfile, count = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, { where: string; name: string; ticks: number }>();
  const places = new Map<string, { where: string; name: string; ticks: number }>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const weight = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id);
    if (!frame || weight <= 0) return;
    total += weight;
    if (frame.functionName === '(idle)') {
      idle += weight;
      return;
    }
    const where = placeOf(frame.url);
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${frame.url}:${frame.lineNumber}`;
    const fn = functions.get(key) ?? {
      name,
      where: `${fileOf(frame.url) || where}:${frame.lineNumber + 1}`,
      ticks: 0,
    };
    fn.ticks += weight;
    functions.set(key, fn);
    const place = places.get(where) ?? { name: where, where, ticks: 0 };
    place.ticks += weight;
    places.set(where, place);
  });
  const busy = total - idle;
  if (busy <= 0) return { idlePercent: total === 0 ? 0 : 100, functions: [], places: [] };
  return {
    idlePercent: (100 * idle) / total,
    functions: top(functions, busy, count),
    places: top(places, busy, count),
  };
}

/** The summary as text lines. */
export function renderProfile(file: string, summary: ProfileSummary): string {
  const pct = (value: number) => `${value.toFixed(1).padStart(5)}%`;
  return [
    `CPU profile ${file} (idle ${summary.idlePercent.toFixed(1)}% of samples; self time as % of busy samples)`,
    '',
    'by package / folder:',
    ...summary.places.map((place) => `  ${pct(place.selfPercent)}  ${place.name}`),
    '',
    'by function:',
    ...summary.functions.map((fn) => `  ${pct(fn.selfPercent)}  ${fn.name}  (${fn.where})`),
  ].join('\n');
}
