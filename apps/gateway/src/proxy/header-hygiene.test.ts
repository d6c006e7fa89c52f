import { describe, expect, it } from 'vitest';
import { forwardedRequestHeaders, relayedResponseHeaders } from './header-hygiene.ts';

describe('forwardedRequestHeaders', () => {
  it('strips credentials, spoofable proxy headers and hop-by-hop headers', () => {
    const out = forwardedRequestHeaders({
      host: 'gateway',
      'content-length': '3',
      authorization: 'Bearer client',
      'proxy-authorization': 'Basic x',
      'x-api-key': 'k',
      'api-key': 'k',
      'x-goog-api-key': 'k',
      'x-amz-security-token': 't',
      'x-amz-date': 'd',
      'amz-sdk-invocation-id': 'i',
      cookie: 'c=1',
      forwarded: 'for=1.2.3.4',
      via: '1.1 x',
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-host': 'evil',
      connection: 'keep-alive, x-secret-hop',
      'x-secret-hop': 'dropped',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      'proxy-connection': 'keep-alive',
      trailer: 'x',
    });
    expect(out).toEqual({});
  });

  it('passes every other header unchanged', () => {
    const headers = {
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'tools-2024',
      'x-stainless-lang': 'js',
      'x-request-id': 'abc',
      'x-initiator': 'agent',
      originator: 'codex',
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'accept-encoding': 'gzip',
    };
    expect(forwardedRequestHeaders(headers)).toEqual(headers);
  });

  it('joins repeated headers', () => {
    expect(forwardedRequestHeaders({ 'x-multi': ['a', 'b'] })).toEqual({ 'x-multi': 'a, b' });
  });
});

describe('relayedResponseHeaders', () => {
  it('drops hop-by-hop headers and those named in Connection, keeps the rest', () => {
    expect(
      relayedResponseHeaders({
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-hop': '1',
        'content-type': 'text/event-stream',
        'set-cookie': ['a=1', 'b=2'],
      }),
    ).toEqual({ 'content-type': 'text/event-stream', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe('forwardedRequestHeaders and Expect', () => {
  it('drops Expect: 100-continue (the gateway already answered it)', () => {
    expect(forwardedRequestHeaders({ expect: '100-continue', 'x-a': '1' })).toEqual({ 'x-a': '1' });
  });
});

describe('accept-encoding', () => {
  it('keeps only the codings the answer scan reads, identity when none is left', () => {
    const forwarded = (value: string) => forwardedRequestHeaders({ 'accept-encoding': value });
    expect(forwarded('gzip, deflate, br, zstd')['accept-encoding']).toBe('gzip, deflate, br');
    expect(forwarded('zstd;q=1.0, gzip;q=0.5')['accept-encoding']).toBe('gzip;q=0.5');
    expect(forwarded('zstd, *')['accept-encoding']).toBe('identity');
    expect(forwardedRequestHeaders({})).toEqual({});
  });
});
