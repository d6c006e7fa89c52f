/** A `---` line that opens or closes a workflow's frontmatter (trailing spaces allowed). */
const FENCE = /^---[ \t]*$/;

/**
 * The YAML of a gh-aw workflow file (`.md`: frontmatter between `---` lines,
 * then markdown), or undefined when `text` is not one. Lines before the
 * frontmatter are kept blank, so that YAML line numbers stay file line numbers.
 */
export function workflowFrontmatter(text: string): string | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? '')) return undefined;
  const end = lines.findIndex((line, index) => index > 0 && FENCE.test(line));
  if (end < 0) return undefined;
  return ['', ...lines.slice(1, end)].join('\n');
}
