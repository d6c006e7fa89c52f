import { readJson, updateJson, type Tree } from '@nx/devkit';
import type { ProviderNames } from './provider-names.ts';
import { GATEWAY_PACKAGE } from './register-provider.ts';

export const LOCKFILE = 'package-lock.json';

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Lockfile {
  packages: Record<string, PackageJson | Record<string, unknown>>;
}

/**
 * Writes what `npm install` would add to package-lock.json for a new
 * workspace, so that `npm ci` accepts the workspace without a registry round
 * trip: the `libs/providers-<name>` package entry (its declared dependencies,
 * all already locked), its `node_modules/` link, and the gateway's new
 * dependency. Keys go where npm sorts them, so a later `npm install` changes nothing.
 */
export function addLockfileEntries(tree: Tree, spelled: ProviderNames): void {
  if (!tree.exists(LOCKFILE)) return;
  const manifest = readJson<PackageJson>(tree, `${spelled.projectRoot}/package.json`);
  const gateway = readJson<PackageJson>(tree, GATEWAY_PACKAGE);
  updateJson(tree, LOCKFILE, (lock: Lockfile) => {
    const entry: PackageJson = { name: manifest.name, version: manifest.version };
    if (manifest.dependencies) entry.dependencies = manifest.dependencies;
    if (manifest.devDependencies) entry.devDependencies = manifest.devDependencies;
    const packages = { ...lock.packages };
    const gatewayEntry = packages['apps/gateway'] as PackageJson | undefined;
    if (gatewayEntry && gateway.dependencies) {
      packages['apps/gateway'] = { ...gatewayEntry, dependencies: gateway.dependencies };
    }
    lock.packages = withSortedInsert(packages, {
      [spelled.projectRoot]: entry,
      [`node_modules/${spelled.packageName}`]: { resolved: spelled.projectRoot, link: true },
    });
    return lock;
  });
}

/** `record` with `added` placed before the first existing key that sorts after each one; the rest keeps its order. */
function withSortedInsert<T>(
  record: Record<string, T>,
  added: Record<string, T>,
): Record<string, T> {
  const entries = Object.entries(record).filter(([key]) => !(key in added));
  for (const [key, value] of Object.entries(added)) {
    const at = entries.findIndex(([other]) => other !== '' && other.localeCompare(key, 'en') > 0);
    entries.splice(at < 0 ? entries.length : at, 0, [key, value]);
  }
  return Object.fromEntries(entries);
}
