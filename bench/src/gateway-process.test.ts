import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMAGE_NODE_FLAGS } from './gateway-process.ts';

describe('the measured gateway', () => {
  it('runs with the node flags of the image command', () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd, 'the Dockerfile has an exec-form CMD').not.toBeNull();
    const [node, ...args] = JSON.parse(cmd![1]!) as string[];
    expect(node).toBe('node');
    expect(args.filter((arg) => arg.startsWith('-'))).toEqual([...IMAGE_NODE_FLAGS]);
  });
});
