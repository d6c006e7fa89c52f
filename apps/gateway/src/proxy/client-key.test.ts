import { describe, expect, it } from 'vitest';
import { presentsClientKey } from './client-key.ts';

const ALL = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];

describe('presentsClientKey', () => {
  it.each([
    [{ authorization: 'Bearer run-key-123' }],
    [{ authorization: 'bearer run-key-123' }],
    [{ 'x-api-key': 'run-key-123' }],
    [{ 'api-key': 'run-key-123' }],
    [{ 'x-goog-api-key': 'run-key-123' }],
  ])('accepts the key in %o', (headers) => {
    expect(presentsClientKey(headers, ALL, 'run-key-123')).toBe(true);
  });

  it.each([
    [{}],
    [{ authorization: 'Bearer run-key-12' }],
    [{ 'x-api-key': 'run-key-1234' }],
    [{ cookie: 'run-key-123' }],
  ])('refuses %o', (headers) => {
    expect(presentsClientKey(headers, ALL, 'run-key-123')).toBe(false);
  });

  it('looks only in the headers the flavor names', () => {
    expect(
      presentsClientKey({ 'x-api-key': 'run-key-123' }, ['authorization'], 'run-key-123'),
    ).toBe(false);
  });
});
