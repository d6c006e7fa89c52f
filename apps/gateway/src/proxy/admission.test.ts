import { describe, expect, it } from 'vitest';
import { admit } from './admission.ts';

const upstream = { origin: 'https://api.example', basePath: '/v1' };
const noKey = { key: undefined, headers: ['x-api-key'] };

describe('admit', () => {
  it('forwards an origin-form target under the base path, byte for byte', () => {
    expect(admit('/chat/completions?a=1', {}, upstream, noKey)).toEqual({
      path: '/v1/chat/completions?a=1',
    });
    expect(admit('/models/{x}?q=%zz', {}, upstream, noKey)).toEqual({
      path: '/v1/models/{x}?q=%zz',
    });
  });

  it('refuses a target that would leave the origin before looking at the client key', () => {
    expect(admit('//evil.example/x', {}, upstream, { ...noKey, key: 'k' })).toMatchObject({
      refuse: 'bad_request_target',
    });
  });

  it('refuses a request without the configured client key', () => {
    const rule = { key: 'client-key-1', headers: ['x-api-key'] };
    expect(admit('/x', { 'x-api-key': 'nope' }, upstream, rule)).toMatchObject({
      refuse: 'unauthorized_client',
    });
    expect(admit('/x', { 'x-api-key': 'client-key-1' }, upstream, rule)).toEqual({
      path: '/v1/x',
    });
  });
});
