import { describe, expect, it } from 'vitest';
import { rejectsCredential } from './upstream-rejection.ts';

describe('rejectsCredential', () => {
  it('treats every 401 as a credential rejection', () => {
    expect(rejectsCredential(401, {}, '')).toBe(true);
  });

  it.each([
    ['{"message":"The security token included in the request is expired"}'],
    ['{"message":"Signature expired: 20240101T000000Z is now earlier than ..."}'],
    ['{"error":{"message":"Request had invalid authentication credentials. Expired token."}}'],
  ])('replays a 403 that says the token or signature expired: %s', (body) => {
    expect(rejectsCredential(403, {}, body)).toBe(true);
  });

  it('uses the AWS error type header', () => {
    expect(
      rejectsCredential(403, { 'x-amzn-errortype': 'ExpiredTokenException:http://internal' }, ''),
    ).toBe(true);
  });

  it('passes other 403s and statuses through', () => {
    expect(
      rejectsCredential(
        403,
        {},
        '{"message":"User is not authorized to perform bedrock:InvokeModel"}',
      ),
    ).toBe(false);
    expect(rejectsCredential(429, {}, 'expired token')).toBe(false);
    expect(rejectsCredential(200, {}, '')).toBe(false);
  });
});
