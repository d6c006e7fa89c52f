import { describe, expect, it } from 'vitest';
import { BadRequestTargetError, upstreamPath } from './request-target.ts';

describe('upstreamPath', () => {
  it('forwards the client path unchanged when there is no base path', () => {
    expect(upstreamPath('/v1/chat/completions', '')).toBe('/v1/chat/completions');
  });

  it('prefixes the base path, unless the client path already starts with it', () => {
    expect(upstreamPath('/chat/completions', '/v1')).toBe('/v1/chat/completions');
    expect(upstreamPath('/v1/chat/completions', '/v1')).toBe('/v1/chat/completions');
    expect(upstreamPath('/v10/x', '/v1')).toBe('/v1/v10/x');
  });

  it('keeps raw path bytes such as : @ and %3A', () => {
    const path = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';
    expect(upstreamPath(path, '')).toBe(path);
    const vertex =
      '/v1/projects/p/locations/l/publishers/anthropic/models/claude-x@20250101:streamRawPredict';
    expect(upstreamPath(vertex, '')).toBe(vertex);
  });

  it('drops key and api_key query parameters and keeps the rest byte for byte', () => {
    expect(upstreamPath('/m:generateContent?key=secret&alt=sse', '')).toBe(
      '/m:generateContent?alt=sse',
    );
    expect(upstreamPath('/x?api-version=2024-10-21&api_key=s&a=%3A', '')).toBe(
      '/x?api-version=2024-10-21&a=%3A',
    );
    expect(upstreamPath('/x?%6Bey=s', '')).toBe('/x');
    expect(upstreamPath('/x?key=a', '')).toBe('/x');
  });

  it('forwards malformed escapes untouched, never decoding them', () => {
    expect(upstreamPath('/v1/%zz', '')).toBe('/v1/%zz');
    expect(upstreamPath('/a/%E0%A4%A?x=%zz&y=%', '/v1')).toBe('/v1/a/%E0%A4%A?x=%zz&y=%');
    expect(upstreamPath('/a/%', '')).toBe('/a/%');
  });

  it('keeps encoded slashes and dots that are not dot segments', () => {
    const arn =
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x-v1%3A0/converse';
    expect(upstreamPath(arn, '')).toBe(arn);
    expect(upstreamPath('/a/...%2F.x/b', '')).toBe('/a/...%2F.x/b');
  });

  it.each([
    ['http://evil.example/v1/x', 'absolute-form'],
    ['//evil.example/v1/x', '//host'],
    ['/a/../../admin', 'dot segment'],
    ['/a/%2e%2E/admin', 'encoded dot segment'],
    ['/\\evil.example/x', 'backslash'],
    ['/a/%5cevil', 'encoded backslash'],
    ['*', 'asterisk-form'],
    ['/a/..%2F..%2fadmin', 'dot segments behind an encoded slash'],
    ['/a/%2e%2e%2Fadmin', 'encoded dot segment behind an encoded slash'],
    ['/a/.', 'trailing dot segment'],
  ])('rejects %s (%s)', (target) => {
    expect(() => upstreamPath(target, '/v1')).toThrow(BadRequestTargetError);
  });
});
