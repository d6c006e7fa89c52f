import { NO_TOKENS } from '@keyless/usage';
import { describe, expect, it } from 'vitest';
import {
  MAX_PATH_CHARS,
  outcomeAttributes,
  requestAttributes,
  usageAttributes,
} from './span-attributes.ts';

const redact = (text: string) => text.replaceAll('client-key-123', '[REDACTED]');

describe('span attributes', () => {
  it('records the path without its query, redacted and bounded; never a header', () => {
    const attributes = requestAttributes(
      {
        route: 'openai',
        provider: 'openai',
        credential: 'static',
        method: 'POST',
        path: `/v1/client-key-123/${'x'.repeat(1000)}?key=secret-in-query`,
        websocket: false,
      },
      redact,
    );
    const path = attributes['url.path'] as string;
    expect(path.startsWith('/v1/[REDACTED]/')).toBe(true);
    expect(path).toHaveLength(MAX_PATH_CHARS);
    expect(JSON.stringify(attributes)).not.toContain('secret-in-query');
    expect(attributes).toMatchObject({
      'http.request.method': 'POST',
      'keyless.route': 'openai',
      'keyless.credential.provider': 'static',
      'keyless.websocket': false,
    });
  });

  it('records the outcome, with the gateway error code only when the gateway answered', () => {
    expect(outcomeAttributes({ status: 200, replayed: true, upstreamStatus: 200 })).toEqual({
      'http.response.status_code': 200,
      'keyless.replayed': true,
      'keyless.upstream.status_code': 200,
    });
    expect(
      outcomeAttributes({ status: 503, replayed: false, errorCode: 'credential_unavailable' }),
    ).toEqual({
      'http.response.status_code': 503,
      'keyless.replayed': false,
      'keyless.error.code': 'credential_unavailable',
      'error.type': 'credential_unavailable',
    });
  });

  it('records token counts only when the answer reported them', () => {
    const report = {
      shape: 'anthropic-messages',
      usage: { input: 10, output: 20, cacheRead: 3, cacheWrite: 4 },
      reported: true,
      model: 'claude-x',
      streaming: true,
      bytes: 100,
    };
    expect(usageAttributes(report, redact)).toEqual({
      'gen_ai.request.model': 'claude-x',
      'keyless.streaming': true,
      'keyless.usage.reported': true,
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.usage.cache_read.input_tokens': 3,
      'gen_ai.usage.cache_creation.input_tokens': 4,
    });
    const silent = usageAttributes(
      { ...report, usage: NO_TOKENS, reported: false, model: undefined },
      redact,
    );
    expect(silent).toEqual({ 'keyless.streaming': true, 'keyless.usage.reported': false });
  });
});
