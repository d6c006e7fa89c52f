import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { readLogFormat } from './gateway-settings.ts';

describe('readLogFormat', () => {
  it('is auto when unset or empty, so people get pretty logs on a terminal and machines JSON', () => {
    expect(readLogFormat({})).toBe('auto');
    expect(readLogFormat({ KEYLESS_LOG_FORMAT: '  ' })).toBe('auto');
  });

  it('accepts json, pretty and auto in any case', () => {
    expect(readLogFormat({ KEYLESS_LOG_FORMAT: 'json' })).toBe('json');
    expect(readLogFormat({ KEYLESS_LOG_FORMAT: 'Pretty' })).toBe('pretty');
    expect(readLogFormat({ KEYLESS_LOG_FORMAT: ' AUTO ' })).toBe('auto');
  });

  it('refuses anything else with a ConfigError naming the variable and the accepted values', () => {
    expect(() => readLogFormat({ KEYLESS_LOG_FORMAT: 'text' })).toThrow(ConfigError);
    expect(() => readLogFormat({ KEYLESS_LOG_FORMAT: 'text' })).toThrow(
      'KEYLESS_LOG_FORMAT: must be one of auto, json, pretty, got "text"',
    );
  });
});
