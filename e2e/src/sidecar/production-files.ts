import { execFile } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type Stage } from './dockerfile.ts';

const run = promisify(execFile);

/**
 * Builds in `dir` the file set the image's build stage produces, by replaying
 * its instructions: COPY from the repository, RUN in `dir` as `/app`. `npm ci`
 * prefers the local npm cache so that the replay stays fast and offline when
 * the cache is warm. Anything but WORKDIR /app, COPY and RUN is refused: the
 * replay must stay faithful.
 */
export async function buildProductionFiles(stage: Stage, dir: string): Promise<void> {
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
        await cp(join(REPO_ROOT, source), target, { recursive: true });
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
