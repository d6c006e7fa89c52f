import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { REDACTED, Redactor } from './redaction.ts';

const SECRET = 'canary-secret-0123456789';

function capture(): {
  stream: Writable;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines, text };
}

function setup(level?: string) {
  const redactor = new Redactor();
  redactor.register(SECRET);
  const out = capture();
  const logger = createLogger({ redactor, destination: out.stream, ...(level ? { level } : {}) });
  return { logger, out };
}

describe('createLogger', () => {
  it('writes JSON lines at level info by default', () => {
    const { logger, out } = setup();
    logger.debug('hidden');
    logger.info({ route: 'openai' }, 'started');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 30, route: 'openai', msg: 'started' }),
    ]);
  });

  it('honours the level option', () => {
    const { logger, out } = setup('debug');
    logger.debug('shown');
    expect(out.lines()).toEqual([expect.objectContaining({ msg: 'shown' })]);
  });

  it('redacts a secret in a message, a field, a child binding, an error message and an error cause', () => {
    const { logger, out } = setup();
    logger.info(`message with ${SECRET}`);
    logger.info({ header: `Bearer ${SECRET}`, nested: { value: SECRET } }, 'fields');
    logger.child({ binding: SECRET }).info('child');
    logger.error({ err: new Error(`failed with ${SECRET}`) }, 'error message');
    logger.error(new Error('outer', { cause: new Error(`inner ${SECRET}`) }));

    expect(out.text()).not.toContain(SECRET);
    const [message, fields, child, errorLine, causeLine] = out.lines();
    expect(message?.['msg']).toBe(`message with ${REDACTED}`);
    expect(fields?.['header']).toBe(`Bearer ${REDACTED}`);
    expect(fields?.['nested']).toEqual({ value: REDACTED });
    expect(child?.['binding']).toBe(REDACTED);
    expect((errorLine?.['err'] as { message: string }).message).toBe(`failed with ${REDACTED}`);
    const causeErr = causeLine?.['err'] as { message: string; stack: string };
    expect(causeErr.message).toBe(`outer: inner ${REDACTED}`);
    expect(causeErr.stack).toContain(`caused by: Error: inner ${REDACTED}`);
  });

  it('redacts secrets registered after the logger was created', () => {
    const redactor = new Redactor();
    const out = capture();
    const logger = createLogger({ redactor, destination: out.stream });
    redactor.register('late-registered-token');
    logger.info({ token: 'late-registered-token' }, 'minted');
    expect(out.lines()[0]?.['token']).toBe(REDACTED);
  });
});
