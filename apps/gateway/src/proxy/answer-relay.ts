import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { AnswerObserver } from './request-hooks.ts';

/**
 * The one transform an answer body passes through on its way to the client
 * (the secret guard, or a plain relay). It is fed by its source only once
 * the consumer starts reading, so that an observer attached before then
 * sees every chunk the client gets without a second transform per answer.
 * A failure of either side tears down the other; unlike `stream.pipeline`
 * it allocates no AbortController: this runs on every proxied answer.
 */
export class AnswerRelay extends Transform {
  #source: Readable | undefined;
  #connected = false;
  #observer: AnswerObserver | undefined;
  #observerEnded = false;

  /** Relays `source` through this transform; a source error reaches the consumer. */
  from(source: Readable): this {
    this.#source = source;
    source.once('error', (error) => this.destroy(error));
    this.once('close', () => {
      if (!source.readableEnded) source.destroy();
    });
    return this;
  }

  /** Shows `observer` every chunk this relay emits, then how it ended; once, before reading starts. */
  observe(observer: AnswerObserver): this {
    if (this.#observer) throw new Error('an answer has one observer (combine them first)');
    this.#observer = observer;
    this.once('close', () => this.#endObserver(false));
    return this;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, chunk);
  }

  override _read(size: number): void {
    if (this.#source && !this.#connected) {
      this.#connected = true;
      this.#source.pipe(this);
    }
    super._read(size);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) this.#endObserver(true);
    else if ((chunk as Buffer).length > 0) this.#observer?.data(chunk as Buffer);
    return super.push(chunk, encoding);
  }

  #endObserver(complete: boolean): void {
    if (this.#observerEnded || !this.#observer) return;
    this.#observerEnded = true;
    this.#observer.end(complete);
  }
}
