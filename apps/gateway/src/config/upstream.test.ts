import { ConfigError } from '@keyless/auth-core';
import { describe, expect, it } from 'vitest';
import { parseUpstream } from './upstream.ts';

describe('parseUpstream', () => {
  it('accepts a bare host name as https on 443', () => {
    expect(parseUpstream('X', 'api.openai.com')).toEqual({
      origin: 'https://api.openai.com',
      basePath: '',
    });
  });

  it('accepts a full URL with scheme, port and path', () => {
    expect(parseUpstream('X', 'http://127.0.0.1:8080/v1/')).toEqual({
      origin: 'http://127.0.0.1:8080',
      basePath: '/v1',
    });
  });

  it('appends a base path variable to the URL path', () => {
    expect(parseUpstream('X', 'https://h.example/openai', '/v1/')).toEqual({
      origin: 'https://h.example',
      basePath: '/openai/v1',
    });
    expect(parseUpstream('X', 'h.example', 'v1')).toEqual({
      origin: 'https://h.example',
      basePath: '/v1',
    });
  });

  it.each([
    'ftp://h.example',
    'https://user:pw@h.example',
    'https://h.example/?a=1',
    'http://[bad',
  ])('rejects %s naming the variable', (value) => {
    expect(() => parseUpstream('OPENAI_API_TARGET', value)).toThrow(ConfigError);
    expect(() => parseUpstream('OPENAI_API_TARGET', value)).toThrow(/OPENAI_API_TARGET/);
  });
});
