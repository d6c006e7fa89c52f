import { updateJson, type Tree } from '@nx/devkit';
import type { ProviderNames } from './provider-names.ts';

/** The gateway's registration list (docs/plugin-authors.md, checklist item 1). */
export const PLUGINS_FILE = 'apps/gateway/src/plugins.ts';
export const GATEWAY_PACKAGE = 'apps/gateway/package.json';

const PROVIDER_IMPORT = /^import \{ \w+ \} from '@keyless\/providers-[a-z0-9-]+\/plugin';$/;

/**
 * Adds the import from the light `/plugin` entry (among the other provider
 * imports, in order) and the plugin at the end of PROVIDER_PLUGINS.
 */
export function registerPlugin(tree: Tree, spelled: ProviderNames): void {
  const source = tree.read(PLUGINS_FILE, 'utf-8');
  if (source === null)
    throw new Error(`${PLUGINS_FILE} not found: run the generator at the workspace root`);
  const importLine = `import { ${spelled.propertyName}Plugin } from '${spelled.packageName}/plugin';`;
  if (source.includes(importLine)) return;
  const lines = source.split('\n');
  const imports = lines.flatMap((line, index) => (PROVIDER_IMPORT.test(line) ? [index] : []));
  const list = lines.findIndex((line) => line.includes('PROVIDER_PLUGINS'));
  const end = lines.findIndex((line, index) => index > list && line.startsWith('];'));
  if (imports.length === 0 || list < 0 || end < 0) {
    throw new Error(`${PLUGINS_FILE}: expected provider imports and a PROVIDER_PLUGINS array`);
  }
  lines.splice(end, 0, `  ${spelled.propertyName}Plugin,`);
  const after = imports.find((index) => moduleOf(lines[index]!) > `${spelled.packageName}/plugin`);
  lines.splice(after ?? imports.at(-1)! + 1, 0, importLine);
  tree.write(PLUGINS_FILE, lines.join('\n'));
}

/** `"@keyless/providers-<name>": "*"` among the gateway's dependencies, in order. */
export function addGatewayDependency(tree: Tree, spelled: ProviderNames): void {
  updateJson(tree, GATEWAY_PACKAGE, (json: { dependencies?: Record<string, string> }) => {
    json.dependencies = sortedRecord({ ...json.dependencies, [spelled.packageName]: '*' });
    return json;
  });
}

function moduleOf(line: string): string {
  return /'([^']+)'/.exec(line)?.[1] ?? '';
}

/** `record` with its keys in npm's order. */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b, 'en')));
}
