import { startBenchUpstream } from './bench-upstream.ts';
import { startRawProxy } from './raw-proxy.ts';

/**
 * Entry point of the bench's helper processes, each on its own event loop so
 * that the load generator does not share one with what it measures:
 * `node helper-main.ts upstream` or `node helper-main.ts raw-proxy <upstream url>`.
 * Prints `{"url": ...}` once listening; exits on SIGTERM.
 */
async function main(argv: readonly string[]): Promise<void> {
  const [kind, upstream] = argv;
  const server =
    kind === 'upstream'
      ? await startBenchUpstream()
      : kind === 'raw-proxy' && upstream
        ? await startRawProxy(upstream)
        : undefined;
  if (!server) throw new Error('usage: helper-main.ts upstream | raw-proxy <upstream url>');
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.once('SIGTERM', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
