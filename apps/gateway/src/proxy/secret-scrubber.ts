import type { Transform, TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { Range } from '@keyless/auth-core';
import { AnswerRelay } from './answer-relay.ts';
import type { SecretMatcher } from './secret-matcher.ts';

/** Raised (and the connection cut) when a compressed answer carries a secret. */
export class SecretInAnswerError extends Error {
  constructor() {
    super('the upstream answer carried the route credential; the connection was cut');
    this.name = 'SecretInAnswerError';
  }
}

/** Raised before any byte is relayed when an answer's content coding cannot be scanned. */
export class UnscannableAnswerError extends Error {
  /** An upstream fault: the route's error shape answers 502. */
  readonly statusCode = 502;
  constructor(contentEncoding: string) {
    super(
      `the upstream answered in a content coding the gateway cannot scan for the credential (${contentEncoding.slice(0, 40)}); answer refused`,
    );
    this.name = 'UnscannableAnswerError';
  }
}

/** An answer body in plain bytes: secrets are replaced as they stream past. */
export class PlainSecretScrubber extends AnswerRelay {
  readonly #matcher: SecretMatcher;
  #held: Buffer = Buffer.alloc(0);
  /** The secret that runs into `#held` (see SecretMatcher.scan). */
  #carried: Range | undefined;
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
    done(null, this.#scan(this.#held.length ? Buffer.concat([this.#held, chunk]) : chunk, false));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.#scan(this.#held, true));
  }

  #scan(window: Buffer, final: boolean): Buffer {
    const { scrubbed, held, carried, matched } = this.#matcher.scan(window, this.#carried, final);
    this.matched ||= matched;
    this.#held = held;
    this.#carried = carried;
    return scrubbed;
  }
}

/** Decoders for the content codings whose bytes can be scanned. */
const DECODERS = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip()],
  ['x-gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
]);

/** Content codings an answer may come in (`identity` included): the only ones the agent may ask the upstream for. */
export const SCANNABLE_CODINGS: ReadonlySet<string> = new Set(['identity', ...DECODERS.keys()]);

/** The codings of a `content-encoding` value in the order they were applied, `identity` left out. */
function codingsOf(contentEncoding: string): string[] {
  return contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

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

/**
 * The guard for an answer body with `contentEncoding`, or undefined when it
 * cannot be scanned (the caller must not relay it): a coding the gateway
 * cannot decode, or several stacked (`gzip, br`; `identity` does not count),
 * which no agent asks for and the upstream may not send.
 */
export function secretGuardFor(
  contentEncoding: string | undefined,
  matcher: SecretMatcher,
): AnswerRelay | undefined {
  const codings = codingsOf(contentEncoding ?? '');
  if (codings.length === 0) return new PlainSecretScrubber(matcher);
  const decoder = codings.length === 1 ? DECODERS.get(codings[0]!) : undefined;
  return decoder ? new CompressedSecretGuard(matcher, decoder()) : undefined;
}
