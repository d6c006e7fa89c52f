import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatFiles,
  generateFiles,
  logger,
  readJson,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { addLockfileEntries } from './lockfile-entries.ts';
import {
  providerNames,
  type ProviderGeneratorOptions,
  type ProviderNames,
} from './provider-names.ts';
import { addGatewayDependency, registerPlugin } from './register-provider.ts';

/** The reference generator (`npm run docs`): README's configuration reference from the registered plugins. */
const DOCS_SCRIPT = 'apps/gateway/src/docs.ts';

/**
 * `nx g @keyless/nx-plugin:provider <name>`: creates libs/providers-<name>
 * (a jwt-bearer plugin skeleton with its settings, typed errors, a fake
 * token service and tests that already run the conformance suite), registers
 * it in the gateway and writes the lockfile entries. After the files are
 * written it links the workspace into node_modules and regenerates the
 * README's configuration reference, so that typecheck, lint and test pass
 * without an `npm install`.
 */
export async function providerGenerator(
  tree: Tree,
  options: ProviderGeneratorOptions,
): Promise<GeneratorCallback> {
  const spelled = providerNames(options);
  if (tree.exists(spelled.projectRoot)) {
    throw new Error(`${spelled.projectRoot} exists already: pick another name or delete it first`);
  }
  generateFiles(tree, join(import.meta.dirname, 'files'), spelled.projectRoot, {
    ...spelled,
    undiciVersion: workspaceVersion(tree, 'undici') ?? '^7.0.0',
    template: '',
  });
  registerPlugin(tree, spelled);
  addGatewayDependency(tree, spelled);
  addLockfileEntries(tree, spelled);
  if (!options.skipFormat) await formatFiles(tree);
  return () => finishOnDisk(tree.root, spelled);
}

/** What `npm install` would do for the new workspace (its link), then `npm run docs`. */
function finishOnDisk(root: string, spelled: ProviderNames): void {
  const scope = join(root, 'node_modules', '@keyless');
  const link = join(scope, `providers-${spelled.name}`);
  if (existsSync(scope) && !existsSync(link)) {
    symlinkSync(join('..', '..', spelled.projectRoot), link, 'dir');
  }
  if (existsSync(join(root, DOCS_SCRIPT))) {
    execFileSync(process.execPath, [DOCS_SCRIPT], { cwd: root, stdio: 'inherit' });
  }
  logger.info(
    [
      `${spelled.packageName} is registered in apps/gateway/src/plugins.ts; next:`,
      `  npx nx run-many -t typecheck lint test -p ${spelled.packageName}`,
      `  then replace the skeleton exchange (src/exchange-${spelled.name}-token.ts) with the real one`,
      '  (docs/plugin-authors.md walks through it).',
    ].join('\n'),
  );
}

/** The version range the workspace already uses for `dependency` (auth-core's), so nothing new is locked. */
function workspaceVersion(tree: Tree, dependency: string): string | undefined {
  const path = 'libs/auth-core/package.json';
  if (!tree.exists(path)) return undefined;
  return readJson<{ dependencies?: Record<string, string> }>(tree, path).dependencies?.[dependency];
}

export default providerGenerator;
