import { describe, expect, it } from 'vitest';
import { admit } from './admission.ts';

const upstream = { origin: 'https://api.example', basePath: '/v1' };

describe('admit', () => {
  it('forwards an origin-form target under the base path, normalised as undici will send it', () => {
    expect(admit('/chat/completions?a=1', {}, upstream, undefined)).toEqual({
      path: '/v1/chat/completions?a=1',
    });
    expect(admit('/models/{x}', {}, upstream, undefined)).toEqual({ path: '/v1/models/%7Bx%7D' });
  });

  it('refuses a target that would leave the origin before looking at the client key', () => {
    expect(admit('//evil.example/x', {}, upstream, 'k')).toMatchObject({
      refuse: 'bad_request_target',
    });
  });

  it('refuses a request without the configured client key', () => {
    expect(admit('/x', { 'x-api-key': 'nope' }, upstream, 'client-key-1')).toMatchObject({
      refuse: 'unauthorized_client',
    });
    expect(admit('/x', { 'x-api-key': 'client-key-1' }, upstream, 'client-key-1')).toEqual({
      path: '/v1/x',
    });
  });
});
