import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { noteAwfVariables } from './note-awf-variables.ts';

describe('noteAwfVariables', () => {
  it('says nothing when no AWF_* variable changes nothing', () => {
    expect(noteAwfVariables({}, [])).toBeUndefined();
    expect(
      noteAwfVariables({ AWF_TOKEN_LOG_DIR: '/var/log/api-proxy', AWF_RATE_LIMIT_RPM: '6' }, []),
    ).toBeUndefined();
  });

  it('names each set ignored variable with why dropping it is harmless', () => {
    const note = noteAwfVariables({ AWF_ANTHROPIC_AUTO_CACHE: '1', AWF_DEBUG_TOKENS: '1' }, []);
    expect(note).toMatch(/AWF_ANTHROPIC_AUTO_CACHE \(Prompt-cache breakpoints/);
    expect(note).toMatch(/AWF_DEBUG_TOKENS \(Token diagnostics/);
  });

  it('names unknown AWF_* variables, sorted, and never a value', () => {
    const note = noteAwfVariables(
      { AWF_SOMETHING_NEW: 'value-1', AWF_ANOTHER: 'value-2', OTHER: 'x' },
      [],
    );
    expect(note).toMatch(/unknown AWF_\* variables.*: AWF_ANOTHER, AWF_SOMETHING_NEW$/);
    expect(note).not.toMatch(/value-/);
  });

  it('knows the settings Keyless reads, and counts empty values as unset', () => {
    expect(
      noteAwfVariables({ AWF_AUTH_FOO_URL: 'https://x', AWF_EMPTY: ' ' }, [
        { env: 'AWF_AUTH_FOO_URL' },
      ]),
    ).toBeUndefined();
  });

  it('is one startup warning of the loaded config', () => {
    const { warnings } = loadConfig(
      { OPENAI_API_KEY: 'k-1', AWF_ANTHROPIC_AUTO_CACHE: '1', AWF_SOMETHING_NEW: '1' },
      [],
    );
    const awf = warnings.filter((w) => w.includes('AWF_'));
    expect(awf).toHaveLength(1);
    expect(awf[0]).toMatch(/AWF_ANTHROPIC_AUTO_CACHE .*AWF_SOMETHING_NEW/);
  });
});
