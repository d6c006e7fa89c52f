import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isWebSocketUpgrade, validateHandshake } from './websocket-handshake.ts';

const VALID: IncomingHttpHeaders = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
};

/** A handshake request: the valid one, with `headers` changed (undefined removes one). */
function handshake(
  headers: Record<string, string | undefined> = {},
  method = 'GET',
): IncomingMessage {
  const merged: IncomingHttpHeaders = { ...VALID, ...headers };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return { method, headers: merged } as IncomingMessage;
}

describe('validateHandshake', () => {
  it('accepts a valid handshake, without and with distinct subprotocols', () => {
    expect(validateHandshake(handshake())).toEqual({ protocols: [] });
    expect(
      validateHandshake(
        handshake({ 'sec-websocket-protocol': 'realtime, openai-beta.realtime-v1' }),
      ),
    ).toEqual({ protocols: ['realtime', 'openai-beta.realtime-v1'] });
  });

  it('accepts Connection: Upgrade among other tokens, in any case', () => {
    expect(validateHandshake(handshake({ connection: 'keep-alive, UPGRADE' }))).toEqual({
      protocols: [],
    });
  });

  it.each([
    ['a POST', handshake({}, 'POST'), 'must be GET'],
    ['no Upgrade: websocket', handshake({ upgrade: 'h2c' }), 'not a WebSocket upgrade'],
    ['no Connection header', handshake({ connection: undefined }), 'Connection: Upgrade'],
    ['Connection: keep-alive only', handshake({ connection: 'keep-alive' }), 'Connection: Upgrade'],
    ['no key', handshake({ 'sec-websocket-key': undefined }), 'Sec-WebSocket-Key'],
    [
      'a key that is not 16 bytes',
      handshake({ 'sec-websocket-key': 'c2hvcnQ=' }),
      'Sec-WebSocket-Key',
    ],
    [
      'a key with foreign characters',
      handshake({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ!=' }),
      'Sec-WebSocket-Key',
    ],
    ['version 8', handshake({ 'sec-websocket-version': '8' }), 'Version must be 13'],
    ['no version', handshake({ 'sec-websocket-version': undefined }), 'Version must be 13'],
    ['duplicate subprotocols', handshake({ 'sec-websocket-protocol': 'a, a' }), 'duplicate'],
    ['a subprotocol with a space', handshake({ 'sec-websocket-protocol': 'a b' }), 'malformed'],
    ['an empty subprotocol', handshake({ 'sec-websocket-protocol': 'a,,b' }), 'malformed'],
    ['a subprotocol with a separator', handshake({ 'sec-websocket-protocol': 'a/b' }), 'malformed'],
  ])('refuses %s', (_name, request, reason) => {
    const verdict = validateHandshake(request);
    expect(typeof verdict).toBe('string');
    expect(verdict).toContain(reason);
  });
});

describe('isWebSocketUpgrade', () => {
  it('is true only for Upgrade: websocket', () => {
    expect(isWebSocketUpgrade(handshake({ upgrade: ' WebSocket ' }))).toBe(true);
    expect(isWebSocketUpgrade(handshake({ upgrade: 'h2c' }))).toBe(false);
    expect(isWebSocketUpgrade(handshake({ upgrade: undefined }))).toBe(false);
  });
});
