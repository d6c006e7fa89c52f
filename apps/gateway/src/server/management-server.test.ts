import { Redactor } from '@keyless/auth-core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createManagementServer } from './management-server.ts';

const KEY = 'sk-mgmt+key/0123456789abcdef';

describe('management server answers it makes itself', () => {
  const redactor = new Redactor();
  redactor.register(KEY);
  const app = createManagementServer([], new Registry(), pino({ level: 'silent' }), redactor);

  it.each([
    ['a malformed path', `/%c0${encodeURIComponent(KEY)}`],
    ['a malformed path, lower-case escapes', `/%c0${encodeURIComponent(KEY).toLowerCase()}`],
    ['an unknown path', `/${encodeURIComponent(KEY)}`],
  ])('%s never echoes the key', async (_name, url) => {
    const answer = await app.inject({ method: 'GET', url });
    expect(answer.statusCode).toBeGreaterThanOrEqual(400);
    expect(answer.body.toLowerCase()).not.toContain('0123456789abcdef');
    expect(answer.body).not.toContain('Route GET');
  });

  it('a malformed path gets the gateway error shape', async () => {
    const answer = await app.inject({ method: 'GET', url: `/%c0${KEY}` });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['x-keyless-error']).toBe('bad_request_target');
    expect(answer.json()).toMatchObject({ error: { code: 'bad_request_target' } });
  });
});
