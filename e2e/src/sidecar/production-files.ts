import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type Stage } from './dockerfile.ts';

const run = promisify(execFile);

/**
 * The build context's filter: `.dockerignore` patterns (`**` any folders, `*` within one
 * name) as a predicate on a path relative to the repository root. A match also drops
 * everything under it.
 */
function dockerIgnored(): (path: string) => boolean {
  const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const regexes = patterns.map((pattern) => {
    const source = pattern
      .split('**/')
      .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
      .join('(?:.*/)?');
    return new RegExp(`^${source}(?:/.*)?$`);
  });
  return (path) => regexes.some((regex) => regex.test(path));
}

/**
 * Builds in `dir` the file set the image's build stage produces, by replaying
 * its instructions: COPY from the repository filtered by `.dockerignore`, RUN
 * in `dir` as `/app`. `npm ci`
 * prefers the local npm cache so that the replay stays fast and offline when
 * the cache is warm. Anything but WORKDIR /app, COPY and RUN is refused: the
 * replay must stay faithful.
 */
export async function buildProductionFiles(stage: Stage, dir: string): Promise<void> {
  const ignored = dockerIgnored();
  for (const { keyword, args, line } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      if (args !== '/app') throw new Error(`Dockerfile:${line}: the replay expects WORKDIR /app`);
    } else if (keyword === 'COPY') {
      if (args.startsWith('--'))
        throw new Error(`Dockerfile:${line}: no COPY flags in the build stage`);
      const parts = args.split(/\s+/);
      const destination = parts.pop()!;
      for (const source of parts) {
        const target = destination.endsWith('/')
          ? join(dir, destination, source.split('/').pop()!)
          : join(dir, destination);
        await mkdir(dirname(target), { recursive: true });
        await cp(join(REPO_ROOT, source), target, {
          recursive: true,
          filter: (path) => !ignored(relative(REPO_ROOT, path)),
        });
      }
    } else if (keyword === 'RUN') {
      const command = /^npm ci\b/.test(args)
        ? `${args} --prefer-offline --no-audit --no-fund`
        : args;
      await run('sh', ['-c', command], {
        cwd: dir,
        env: { ...process.env, npm_config_update_notifier: 'false' },
        maxBuffer: 16 * 1024 * 1024,
      });
    } else {
      throw new Error(`Dockerfile:${line}: the replay does not handle ${keyword}`);
    }
  }
}
