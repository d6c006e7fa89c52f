import { describe, expect, it } from 'vitest';
import { FLAVORS } from '../config/flavors.ts';
import { gatewayErrorBody } from './gateway-errors.ts';

describe('gatewayErrorBody', () => {
  it('uses the OpenAI shape for OpenAI-style routes', () => {
    expect(gatewayErrorBody(FLAVORS.openai, 'credential_unavailable', 'm')).toEqual({
      error: { message: 'm', type: 'keyless_error', code: 'credential_unavailable' },
    });
    expect(gatewayErrorBody(FLAVORS.azure, 'payload_too_large', 'm')).toEqual({
      error: { message: 'm', type: 'keyless_error', code: 'payload_too_large' },
    });
  });

  it('uses the Anthropic shape with the closest Anthropic error type', () => {
    expect(gatewayErrorBody(FLAVORS.anthropic, 'unauthorized_client', 'm')).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'm', code: 'unauthorized_client' },
    });
    expect(gatewayErrorBody(FLAVORS.anthropic, 'payload_too_large', 'm')).toMatchObject({
      error: { type: 'request_too_large' },
    });
    expect(gatewayErrorBody(FLAVORS.anthropic, 'bad_request_target', 'm')).toMatchObject({
      error: { type: 'invalid_request_error' },
    });
    expect(gatewayErrorBody(FLAVORS.anthropic, 'credential_unavailable', 'm')).toMatchObject({
      error: { type: 'overloaded_error' },
    });
  });

  it('uses the Google and AWS shapes on their routes', () => {
    expect(gatewayErrorBody(FLAVORS.google, 'upstream_timeout', 'm')).toEqual({
      error: {
        code: 504,
        message: 'm',
        status: 'DEADLINE_EXCEEDED',
        keyless_code: 'upstream_timeout',
      },
    });
    expect(gatewayErrorBody(FLAVORS.bedrock, 'upstream_unreachable', 'm')).toEqual({
      message: 'm',
      code: 'upstream_unreachable',
    });
  });
});
