import type { Transform, TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { AnswerRelay } from './answer-relay.ts';
import type { SecretMatcher } from './secret-matcher.ts';

/** Raised (and the connection cut) when a compressed answer carries a secret. */
export class SecretInAnswerError extends Error {
  constructor() {
    super('the upstream answer carried the route credential; the connection was cut');
    this.name = 'SecretInAnswerError';
  }
}

/** An answer body in plain bytes: secrets are replaced as they stream past. */
export class PlainSecretScrubber extends AnswerRelay {
  readonly #matcher: SecretMatcher;
  #held: Buffer = Buffer.alloc(0);
  /** True once a secret was replaced. */
  matched = false;

  /** True while trailing bytes are held because they may begin a secret. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  constructor(matcher: SecretMatcher) {
    super();
    this.#matcher = matcher;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const window = this.#held.length ? Buffer.concat([this.#held, chunk]) : chunk;
    const { scrubbed, hold, matched } = this.#matcher.scan(window);
    this.matched ||= matched;
    this.#held = scrubbed.subarray(scrubbed.length - hold);
    done(null, hold ? scrubbed.subarray(0, scrubbed.length - hold) : scrubbed);
  }

  override _flush(done: TransformCallback): void {
    done(null, this.#held);
  }
}

/** Decoders for the content codings whose bytes can be scanned. */
const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * A compressed answer body: the bytes reach the client exactly as the upstream
 * sent them, but each chunk is held until its decompressed text was scanned
 * (and while that text ends in what may begin a secret). A secret cannot be
 * replaced inside compressed bytes, so a match cuts the connection instead.
 */
export class CompressedSecretGuard extends AnswerRelay {
  readonly #decoder: Transform;
  readonly #scanner: PlainSecretScrubber;
  #held: Buffer[] = [];
  #undecodable = false;

  constructor(matcher: SecretMatcher, decoder: Transform) {
    super();
    this.#decoder = decoder;
    this.#scanner = new PlainSecretScrubber(matcher);
    // The scanner's output is not needed: only whether it matched.
    this.#decoder.pipe(this.#scanner).resume();
    // Bytes the decoder cannot read cannot be read by the client either: relay them as sent.
    this.#decoder.on('error', () => (this.#undecodable = true));
    this.#scanner.on('error', () => (this.#undecodable = true));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#held.push(chunk);
    if (this.#undecodable) return this.#release(done);
    this.#decoder.write(chunk, () => this.#release(done, false));
  }

  override _flush(done: TransformCallback): void {
    if (this.#undecodable) return this.#release(done);
    this.#decoder.end(() => this.#release(done));
  }

  #release(done: TransformCallback, final = true): void {
    if (this.#scanner.matched) return done(new SecretInAnswerError());
    if (!final && !this.#undecodable && this.#scanner.holding) return done();
    for (const chunk of this.#held) this.push(chunk);
    this.#held = [];
    done();
  }
}

/** The guard for an answer body with `contentEncoding`, or undefined when it cannot be scanned. */
export function secretGuardFor(
  contentEncoding: string | undefined,
  matcher: SecretMatcher,
): AnswerRelay | undefined {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return new PlainSecretScrubber(matcher);
  const decoder = DECODERS[coding];
  return decoder ? new CompressedSecretGuard(matcher, decoder()) : undefined;
}
