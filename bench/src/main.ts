import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FULL_SETTINGS, QUICK_SETTINGS, runBench, type BenchSettings } from './bench.ts';
import { renderProfile, summarizeProfile, type CpuProfile } from './profile-summary.ts';
import { renderMarkdown, renderText } from './render-report.ts';
import { measureScanCost, renderScanCost } from './scan-cost.ts';

const USAGE = `usage: npm run bench -- [--quick] [--out file.json] [--markdown file.md]
                       [--reps N] [--duration S] [--gateway path/to/main.ts] [--cpu-prof dir]
       npm run bench -- --scan [--gateway path/to/main.ts]

  --quick      every phase, briefly (what the test runs)
  --out        JSON result (default bench/results/latest.json; quick: a temp file)
  --markdown   also write the report as Markdown (for docs/benchmarks.md)
  --gateway    another gateway entry point, e.g. a snapshot of an older commit
  --cpu-prof   profile the measured gateway and print its hotspots
  --scan       only the answer scan's cost per answer, in-process (the gateway's scrubAnswer
               on answers of 500 B, 64 KiB and 64 KiB gzip; --gateway picks the tree)`;

function settingsFrom(values: Record<string, string | boolean | undefined>): BenchSettings {
  const base = values.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  return {
    ...base,
    ...(typeof values.reps === 'string' ? { reps: Number(values.reps) } : {}),
    ...(typeof values.duration === 'string' ? { durationS: Number(values.duration) } : {}),
    ...(typeof values.gateway === 'string' ? { gatewayEntry: path.resolve(values.gateway) } : {}),
    ...(typeof values['cpu-prof'] === 'string'
      ? { cpuProfDir: path.resolve(values['cpu-prof']) }
      : {}),
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      markdown: { type: 'string' },
      reps: { type: 'string' },
      duration: { type: 'string' },
      gateway: { type: 'string' },
      'cpu-prof': { type: 'string' },
      scan: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.scan) {
    const entry = typeof values.gateway === 'string' ? path.resolve(values.gateway) : undefined;
    const gatewayDir = entry
      ? path.resolve(path.dirname(entry), '..')
      : new URL('../../apps/gateway', import.meta.url).pathname;
    process.stdout.write(renderScanCost(await measureScanCost(gatewayDir)));
    return;
  }
  const settings = settingsFrom(values);
  if (settings.cpuProfDir) await mkdir(settings.cpuProfDir, { recursive: true });
  const result = await runBench(settings, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`\n${renderText(result)}`);

  const out = path.resolve(
    values.out ??
      (settings.quick
        ? path.join(os.tmpdir(), 'keyless-bench-quick.json')
        : new URL('../results/latest.json', import.meta.url).pathname),
  );
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nJSON: ${out}\n`);
  if (values.markdown) {
    await writeFile(values.markdown, renderMarkdown(result));
    process.stdout.write(`Markdown: ${path.resolve(values.markdown)}\n`);
  }
  for (const file of result.profiles) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    process.stdout.write(`\n${renderProfile(file, summarizeProfile(profile))}\n`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
