import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_FAULTS } from './fake-faults.ts';
import { FakesUsageError, shellQuote, startFakesCli } from './fakes-cli.ts';

describe('keyless fakes', () => {
  it('prints and writes an env file that a shell can source, and removes it on stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fakes-cli-'));
    let printed = '';
    const running = await startFakesCli(
      ['--out', dir, '--port', '21000', '--fail', 'aadsts700213', '--claim', 'environment=prod'],
      (text) => (printed += text),
    );
    try {
      expect(running).toBeDefined();
      const sourced = execFileSync(
        'sh',
        ['-c', `. "$0"; echo "$KEYLESS_CONFIG|$AZURE_AUTHORITY_HOST"`, running!.envFile],
        {
          encoding: 'utf8',
        },
      );
      expect(sourced.trim()).toBe(`${running!.configFile}|${running!.stack.entra.authorityHost}`);
      expect(readFileSync(running!.configFile, 'utf8')).toContain('port: 21005');
      expect(printed).toContain(`source ${running!.envFile}`);
      expect(printed).toContain('aadsts700213: Entra');
      expect(printed).toContain(running!.stack.urls().bedrock);
    } finally {
      await running?.stop();
    }
    expect(existsSync(running!.envFile)).toBe(false);
  });

  it('lists the faults and refuses unknown ones', async () => {
    let printed = '';
    expect(await startFakesCli(['--list-faults'], (text) => (printed += text))).toBeUndefined();
    for (const name of Object.keys(FAKE_FAULTS)) expect(printed).toContain(name);
    await expect(startFakesCli(['--fail', 'nope'], () => {})).rejects.toThrow(FakesUsageError);
    await expect(startFakesCli(['--claim', 'novalue'], () => {})).rejects.toThrow(/KEY=VALUE/);
  });

  it('quotes values for sh', () => {
    expect(
      execFileSync('sh', ['-c', `printf %s ${shellQuote("it's $HOME")}`], { encoding: 'utf8' }),
    ).toBe("it's $HOME");
  });
});
