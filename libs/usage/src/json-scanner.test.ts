import { describe, expect, it } from 'vitest';
import { JsonScanner, MAX_JSON_DEPTH, type JsonScalar } from './json-scanner.ts';

function scan(
  text: string | Uint8Array,
  leaves: string[],
  options: { containers?: string[]; cap?: number; split?: number } = {},
): { values: [string, JsonScalar][]; scanner: JsonScanner } {
  const values: [string, JsonScalar][] = [];
  const scanner = new JsonScanner({
    leaves: new Set(leaves),
    containers: new Set(options.containers ?? []),
    stringCap: () => options.cap ?? 64,
    value: (path, value) => values.push([path, value]),
  });
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const step = options.split ?? bytes.length;
  for (let at = 0; at < bytes.length; at += step)
    scanner.write(bytes, at, Math.min(at + step, bytes.length));
  return { values, scanner };
}

const DOC = JSON.stringify({
  id: 'x',
  model: 'gpt-\u00e9 "q"',
  choices: [{ delta: { content: 'a}b]{"' }, usage: { prompt_tokens: 99 } }],
  usage: {
    prompt_tokens: 12,
    completion_tokens: 3.5e1,
    details: { cached_tokens: 0 },
    flag: true,
    none: null,
  },
});

describe('JsonScanner', () => {
  it('reports scalars under the keys of interest by path, array levels left out', () => {
    const { values, scanner } = scan(
      DOC,
      ['model', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'flag', 'none'],
      {
        containers: ['usage', 'usage.details', 'choices', 'choices.usage'],
      },
    );
    expect(values).toEqual([
      ['model', 'gpt-\u00e9 "q"'],
      ['choices.usage.prompt_tokens', 99],
      ['usage.prompt_tokens', 12],
      ['usage.completion_tokens', 35],
      ['usage.details.cached_tokens', 0],
      ['usage.flag', true],
      ['usage.none', null],
    ]);
    expect(scanner.complete).toBe(true);
  });

  it('skips containers nobody asked for, strings with brackets and quotes included', () => {
    const { values } = scan(DOC, ['prompt_tokens'], { containers: ['usage'] });
    expect(values).toEqual([['usage.prompt_tokens', 12]]);
  });

  it('gives the same answer whatever the chunk size', () => {
    const whole = scan(DOC, ['model', 'prompt_tokens'], {
      containers: ['usage', 'choices'],
    }).values;
    for (const split of [1, 2, 3, 7]) {
      expect(
        scan(DOC, ['model', 'prompt_tokens'], { containers: ['usage', 'choices'], split }).values,
      ).toEqual(whole);
    }
  });

  it('decodes escapes and multi-byte characters split across chunks', () => {
    const { values } = scan('{"model":"a\\u00e9\\n\\"\u4e16"}', ['model'], { split: 1 });
    expect(values).toEqual([['model', 'a\u00e9\n"\u4e16']]);
  });

  it('drops a string longer than its cap instead of holding it', () => {
    const { values } = scan(JSON.stringify({ model: 'x'.repeat(100), n: 1 }), ['model', 'n'], {
      cap: 10,
    });
    expect(values).toEqual([['n', 1]]);
  });

  it('reads concatenated documents one after the other', () => {
    const { values } = scan('{"n":1}\n{"n":2}', ['n']);
    expect(values).toEqual([
      ['n', 1],
      ['n', 2],
    ]);
  });

  it('stops at malformed input without throwing', () => {
    for (const bad of ['{"n":1,,}', '{"n":tru}', '{"n" 1}', '{"n":-}', '}', '\u0000\u00ff']) {
      const { values, scanner } = scan(`${bad}{"n":5}`, ['n']);
      expect(scanner.failed, bad).toBe(true);
      expect(
        values.some(([, value]) => value === 5),
        bad,
      ).toBe(false);
    }
  });

  it('gives up on nesting deeper than its bound', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1);
    const { scanner } = scan(deep, [], { containers: [''] });
    expect(scanner.failed).toBe(true);
  });

  it('skips a 10 MB string without keeping it', () => {
    const big = Buffer.from(`{"content":"${'y'.repeat(10 * 1024 * 1024)}","usage":{"n":7}}`);
    const { values } = scan(big, ['content', 'n'], {
      containers: ['usage'],
      cap: 16,
      split: 65536,
    });
    expect(values).toEqual([['usage.n', 7]]);
  });
});
