import { describe, expect, it } from 'vitest';
import { workflowFrontmatter } from './workflow-frontmatter.ts';

describe('workflowFrontmatter', () => {
  it('returns the YAML between the --- lines, keeping line numbers', () => {
    const yaml = workflowFrontmatter('---\non: push\nengine: copilot\n---\n\n# Title\n---\nmore\n');
    expect(yaml).toBe('\non: push\nengine: copilot');
    expect(yaml!.split('\n')[2]).toBe('engine: copilot');
  });

  it('accepts CRLF and a byte order mark', () => {
    expect(workflowFrontmatter('\uFEFF---\r\nengine: claude\r\n---\r\nbody')).toBe(
      '\nengine: claude',
    );
  });

  it('is undefined for plain YAML and for an unterminated frontmatter', () => {
    expect(workflowFrontmatter('engine:\n  id: copilot\n')).toBeUndefined();
    expect(workflowFrontmatter('---\nengine: copilot\n')).toBeUndefined();
  });
});
