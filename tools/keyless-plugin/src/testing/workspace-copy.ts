import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throwaway copy of the workspace. */
export interface WorkspaceCopy {
  readonly root: string;
  remove(): void;
}

// Caches written in place: hard-linked, a write in the copy would change the original.
const WRITTEN_IN_PLACE = ['.vite', '.vite-temp', '.cache', '.vitest'];

/**
 * Copies the files git knows (tracked, plus new ones not ignored) from `source`
 * into a temporary folder, and every node_modules folder as hard links
 * (`cp -al`: fast, and the copy's own links, e.g. a new workspace's, never
 * touch the original). Caches that tools rewrite in place are left out.
 */
export function copyWorkspace(source: string): WorkspaceCopy {
  const root = mkdtempSync(join(tmpdir(), 'keyless-workspace-'));
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: source, maxBuffer: 64 * 1024 * 1024 },
  )
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const file of new Set(listed)) {
    const from = join(source, file);
    // Deleted in the working tree, or a submodule: nothing to copy.
    if (!existsSync(from) || !lstatSync(from).isFile()) continue;
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(from, join(root, file));
  }
  for (const folder of nodeModulesFolders(source, listed)) {
    mkdirSync(dirname(join(root, folder)), { recursive: true });
    execFileSync('cp', ['-al', join(source, folder), join(root, folder)]);
    for (const cache of WRITTEN_IN_PLACE) {
      rmSync(join(root, folder, cache), { recursive: true, force: true });
    }
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The root node_modules and those of workspace folders (npm nests a workspace's conflicting versions there). */
function nodeModulesFolders(source: string, files: readonly string[]): string[] {
  const folders = new Set(['.']);
  for (const file of files) {
    if (file.endsWith('/package.json') && !file.includes('node_modules/'))
      folders.add(dirname(file));
  }
  return [...folders]
    .map((folder) => join(folder, 'node_modules'))
    .filter((folder) => existsSync(join(source, folder)));
}
