import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogFormat } from './logger.ts';
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

function setup(level?: string, format?: LogFormat) {
  const redactor = new Redactor();
  redactor.register(SECRET);
  const out = capture();
  const logger = createLogger({
    redactor,
    destination: out.stream,
    ...(level ? { level } : {}),
    ...(format ? { format } : {}),
  });
  return { logger, out };
}

/** A capture stream that says it is a terminal, as `process.stdout` does on a TTY. */
function terminal(): ReturnType<typeof capture> {
  const out = capture();
  Object.assign(out.stream, { isTTY: true });
  return out;
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

describe('createLogger formats', () => {
  it('pretty prints synchronously, without colours off a terminal, from the redacted line', () => {
    const { logger, out } = setup(undefined, 'pretty');
    logger.info({ route: 'openai', header: `Bearer ${SECRET}` }, `minted ${SECRET}`);
    logger.error({ err: new Error(`failed with ${SECRET}`) }, 'exchange failed');

    // Written before `info` returned: no worker, no tick (a dying process loses nothing).
    const text = out.text();
    expect(text).toMatch(/^\[[\d:.]+\] INFO: minted \[REDACTED\]\n/);
    expect(text).toContain('route: "openai"');
    expect(text).toContain(`header: "Bearer ${REDACTED}"`);
    expect(text).toMatch(/ERROR: exchange failed\n/);
    expect(text).toContain(`failed with ${REDACTED}`);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('\u001b[');
    expect(() => JSON.parse(text.split('\n')[0] ?? '')).toThrow();
  });

  it('redacts secrets registered after a pretty logger was created', () => {
    const redactor = new Redactor();
    const out = capture();
    const logger = createLogger({ redactor, destination: out.stream, format: 'pretty' });
    redactor.register('late-registered-token');
    logger.info({ token: 'late-registered-token' }, 'minted');
    expect(out.text()).toContain(`token: "${REDACTED}"`);
    expect(out.text()).not.toContain('late-registered-token');
  });

  it('auto is pretty on a terminal and JSON elsewhere', () => {
    const redactor = new Redactor();
    const tty = terminal();
    createLogger({ redactor, destination: tty.stream, format: 'auto' }).info('on a terminal');
    expect(tty.text()).toMatch(/INFO.*: .*on a terminal/);
    expect(() => JSON.parse(tty.text())).toThrow();

    const { logger, out } = setup(undefined, 'auto');
    logger.info('in a pipe');
    expect(out.lines()).toEqual([expect.objectContaining({ msg: 'in a pipe' })]);
  });

  it('json is JSON even on a terminal, and is the default', () => {
    const redactor = new Redactor();
    const forced = terminal();
    createLogger({ redactor, destination: forced.stream, format: 'json' }).info('forced');
    expect(forced.lines()).toEqual([expect.objectContaining({ level: 30, msg: 'forced' })]);

    const byDefault = terminal();
    createLogger({ redactor, destination: byDefault.stream }).info('default');
    expect(byDefault.lines()).toEqual([expect.objectContaining({ msg: 'default' })]);
  });
});
