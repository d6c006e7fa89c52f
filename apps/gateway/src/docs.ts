import { readFileSync, writeFileSync } from 'node:fs';
import { REFERENCE_END, REFERENCE_START, renderConfigReference } from './config/reference.ts';
import { PROVIDER_PLUGINS } from './plugins.ts';

/** Regenerates the configuration reference in README.md from the code. */
const path = new URL('../../../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const start = readme.indexOf(REFERENCE_START);
const end = readme.indexOf(REFERENCE_END);
if (start < 0 || end < 0) throw new Error('README.md lacks the config-reference markers');
writeFileSync(
  path,
  readme.slice(0, start) +
    renderConfigReference(PROVIDER_PLUGINS) +
    readme.slice(end + REFERENCE_END.length),
);
