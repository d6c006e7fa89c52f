#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { FAKE_FAULTS, isFakeFault } from '@keyless/fakes';
import { runDemo } from './run-demo.ts';

// `npm run demo [-- --fail FAULT]`: see run-demo.ts.
const { values } = parseArgs({ options: { fail: { type: 'string', multiple: true } } });
const faults = (values.fail ?? []).map((name) => {
  if (!isFakeFault(name)) {
    process.stderr.write(`unknown fault ${name}; known: ${Object.keys(FAKE_FAULTS).join(', ')}\n`);
    process.exit(2);
  }
  return name;
});
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Error(`interrupted by ${signal}`)));
}
const code = await runDemo({
  faults,
  signal: controller.signal,
  write: (text) => void process.stdout.write(text),
});
// Everything it started is stopped; exit now rather than wait for idle keep-alive sockets.
process.exit(code);
