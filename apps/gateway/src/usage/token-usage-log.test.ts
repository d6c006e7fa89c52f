import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PENDING_LINES, TOKEN_USAGE_FILE, TokenUsageLog } from './token-usage-log.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'keyless-usage-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function events() {
  const seen: string[] = [];
  return {
    seen,
    failed: (error: NodeJS.ErrnoException) => seen.push(`failed ${error.code}`),
    recovered: () => seen.push('recovered'),
  };
}

describe('TokenUsageLog', () => {
  it('creates the folder and appends one line per record, after what the file held', async () => {
    const dir = join(root, 'nested', 'logs');
    const log = new TokenUsageLog(dir, events());
    log.append('{"n":1}\n');
    log.append('{"n":2}\n');
    await log.close();
    const again = new TokenUsageLog(dir, events());
    again.append('{"n":3}\n');
    await again.close();
    expect(await readFile(join(dir, TOKEN_USAGE_FILE), 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it('reports a folder it cannot write once, drops its lines, and recovers when it can', async () => {
    const blocker = join(root, 'not-a-folder');
    await writeFile(blocker, 'a file where the folder should be');
    const heard = events();
    const log = new TokenUsageLog(blocker, heard);
    for (let n = 0; n < 5; n++) {
      log.append(`{"n":${n}}\n`);
      await log.close();
    }
    expect(heard.seen).toEqual(['failed EEXIST']);
    await rm(blocker);
    log.append('{"n":"back"}\n');
    await log.close();
    expect(heard.seen).toEqual(['failed EEXIST', 'recovered']);
    expect(await readFile(join(blocker, TOKEN_USAGE_FILE), 'utf8')).toBe('{"n":"back"}\n');
  });

  it('never throws from append and holds a bounded number of lines', async () => {
    const log = new TokenUsageLog(join(root, 'logs'), events());
    for (let n = 0; n < MAX_PENDING_LINES * 3; n++)
      expect(() => log.append(`${n}\n`)).not.toThrow();
    await log.close();
    const lines = (await readFile(join(root, 'logs', TOKEN_USAGE_FILE), 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(MAX_PENDING_LINES + 1);
    expect(lines[0]).toBe('0');
  });
});
