import { describe, expect, it } from 'vitest';
import { FLAVORS } from '../config/flavors.ts';
import { gatewayError } from './gateway-errors.ts';

const identity = (text: string) => text;
const body = (flavor: keyof typeof FLAVORS, code: Parameters<typeof gatewayError>[2]) =>
  JSON.parse(gatewayError(FLAVORS[flavor], identity, code, 'm').body) as unknown;

describe('gatewayError', () => {
  it('uses the OpenAI shape for OpenAI-style routes', () => {
    expect(body('openai', 'credential_unavailable')).toEqual({
      error: { message: 'm', type: 'keyless_error', code: 'credential_unavailable' },
    });
    expect(body('azure', 'payload_too_large')).toEqual({
      error: { message: 'm', type: 'keyless_error', code: 'payload_too_large' },
    });
  });

  it('uses the Anthropic shape with the closest Anthropic error type', () => {
    expect(body('anthropic', 'unauthorized_client')).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'm', code: 'unauthorized_client' },
    });
    expect(body('anthropic', 'payload_too_large')).toMatchObject({
      error: { type: 'request_too_large' },
    });
    expect(body('anthropic', 'bad_request_target')).toMatchObject({
      error: { type: 'invalid_request_error' },
    });
    expect(body('anthropic', 'credential_unavailable')).toMatchObject({
      error: { type: 'overloaded_error' },
    });
    expect(body('anthropic', 'overloaded')).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('uses the Google and AWS shapes on their routes', () => {
    expect(body('google', 'upstream_timeout')).toEqual({
      error: {
        code: 504,
        message: 'm',
        status: 'DEADLINE_EXCEEDED',
        keyless_code: 'upstream_timeout',
      },
    });
    expect(body('bedrock', 'upstream_unreachable')).toEqual({
      message: 'm',
      code: 'upstream_unreachable',
    });
  });

  it('redacts the message and names the code and status', () => {
    const error = gatewayError(
      FLAVORS.openai,
      (text) => text.replace('sk-secret', '[REDACTED]'),
      'route_not_configured',
      'key sk-secret',
      { 'retry-after': '3' },
    );
    expect(error.status).toBe(503);
    expect(error.headers).toEqual({
      'retry-after': '3',
      'content-type': 'application/json',
      'x-keyless-error': 'route_not_configured',
    });
    expect(error.body).not.toContain('sk-secret');
    expect(error.body).toContain('[REDACTED]');
  });
});
