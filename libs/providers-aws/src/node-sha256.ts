import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** What the SigV4 signer hands a hash: text (UTF-8) or bytes. */
export type HashInput = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: HashInput): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * SHA-256, or HMAC-SHA-256 when constructed with a secret, on Node's native
 * crypto, shaped as Smithy's `Checksum` for `SignatureV4({ sha256 })`. It
 * replaces the pure-JS `@aws-crypto/sha256-js`, which took 13.6% of the
 * gateway's CPU on the SigV4 route (issue 16).
 */
export class NodeSha256 {
  readonly digestLength = 32;
  readonly #secret: string | Uint8Array | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: HashInput) {
    this.#secret = secret === undefined ? undefined : bytesOf(secret);
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }

  update(chunk: HashInput): void {
    this.#hash.update(bytesOf(chunk));
  }

  /** The digest of everything updated so far; the instance starts over afterwards. */
  async digest(): Promise<Uint8Array> {
    const digest = this.#hash.digest();
    this.#hash = this.#fresh();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  }

  reset(): void {
    this.#hash = this.#fresh();
  }
}
