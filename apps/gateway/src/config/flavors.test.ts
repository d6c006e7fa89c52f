import { describe, expect, it } from 'vitest';
import { FLAVORS, FLAVOR_NAMES } from './flavors.ts';

describe.each(FLAVOR_NAMES)('flavor %s: rejectsCredential', (name) => {
  const rejects = FLAVORS[name].rejectsCredential;

  it('treats every 401 as a credential rejection', () => {
    expect(rejects(401, {}, '')).toBe(true);
  });

  it.each([
    ['{"message":"The security token included in the request is expired"}'],
    ['{"message":"Signature expired: 20240101T000000Z is now earlier than ..."}'],
    ['{"error":{"message":"Request had invalid authentication credentials. Expired token."}}'],
  ])('replays a 403 that says the token or signature expired: %s', (body) => {
    expect(rejects(403, {}, body)).toBe(true);
  });

  it('passes other 403s and statuses through', () => {
    expect(
      rejects(403, {}, '{"message":"User is not authorized to perform bedrock:InvokeModel"}'),
    ).toBe(false);
    expect(rejects(429, {}, 'expired token')).toBe(false);
    expect(rejects(200, {}, '')).toBe(false);
  });
});

describe('flavor bedrock', () => {
  it('reads the AWS error type header', () => {
    const headers = { 'x-amzn-errortype': 'ExpiredTokenException:http://internal' };
    expect(FLAVORS.bedrock.rejectsCredential(403, headers, '')).toBe(true);
    expect(FLAVORS.openai.rejectsCredential(403, headers, '')).toBe(false);
  });
});
