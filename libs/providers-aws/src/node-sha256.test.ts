import { describe, expect, it } from 'vitest';
import { NodeSha256 } from './node-sha256.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('NodeSha256', () => {
  it('hashes text and bytes fed in parts (FIPS 180-2 "abc")', async () => {
    const hash = new NodeSha256();
    hash.update('a');
    hash.update(new TextEncoder().encode('b'));
    hash.update(new TextEncoder().encode('c').buffer);
    expect(hex(await hash.digest())).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('is an HMAC when given a secret (RFC 4231 test case 2)', async () => {
    const hmac = new NodeSha256('Jefe');
    hmac.update('what do ya want for nothing?');
    expect(hex(await hmac.digest())).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('starts over after digest and after reset', async () => {
    const hash = new NodeSha256();
    hash.update('ignored');
    hash.reset();
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(hex(await hash.digest())).toBe(empty);
    expect(hex(await hash.digest())).toBe(empty);
  });
});
