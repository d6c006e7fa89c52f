import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every entry under `root` (symlinks not followed) with its type, size and modification time. */
export async function fileSnapshot(root: string): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const stats = await lstat(path);
      snapshot.set(path, `${stats.mode}:${stats.size}:${stats.mtimeMs}`);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return snapshot;
}

/** Paths added, removed or changed between two snapshots. */
export function snapshotChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, stamp] of after) if (before.get(path) !== stamp) changed.push(path);
  for (const path of before.keys()) if (!after.has(path)) changed.push(path);
  return changed;
}
