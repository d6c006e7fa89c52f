import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root (the image's build context). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  /** Upper case, e.g. `COPY`. */
  readonly keyword: string;
  /** Everything after the keyword. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

/** A build stage: its FROM line and its instructions. */
export interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: readonly Instruction[];
}

/**
 * A Dockerfile's stages, enough to check the image contract and to replay the
 * build stage: comments and blank lines dropped, `\` continuations joined,
 * `${ARG}` in FROM replaced by the ARG's default.
 */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return;
    const part = trimmed.endsWith('\\') ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending
      ? { text: `${pending.text} ${part}`, line: pending.line }
      : { text: part, line: index + 1 };
    if (!trimmed.endsWith('\\')) {
      const [keyword = '', ...rest] = pending.text.split(/\s+/);
      instructions.push({
        keyword: keyword.toUpperCase(),
        args: rest.join(' '),
        line: pending.line,
      });
      pending = undefined;
    }
  });
  const args = new Map<string, string>();
  const stages: Array<{ from: string; name?: string; instructions: Instruction[] }> = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = instruction.args.split('=');
      args.set(name!.trim(), value.trim());
    } else if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args
        .replace(/\$\{(\w+)\}/g, (_, arg: string) => args.get(arg) ?? '')
        .split(/\s+/);
      stages.push({
        from: image,
        ...(as?.toUpperCase() === 'AS' ? { name } : {}),
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The repository's Dockerfile, parsed. */
export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(`${REPO_ROOT}Dockerfile`, 'utf8'));
}

/** The JSON array of an exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK CMD), or undefined. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** `KEY=value` pairs of the ENV instructions of a stage (values unquoted, `${ARG}` left as is). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const pair of args.split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      if (key && value.length > 0) env[key] = value.join('=').replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** Workspace folders by package name (`@keyless/auth-core` -> `libs/auth-core`). */
function workspaceFolders(): Map<string, string> {
  const folders = new Map<string, string>();
  for (const parent of ['apps', 'libs']) {
    for (const entry of readdirSync(`${REPO_ROOT}${parent}`, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      try {
        const { name } = packageJson(`${parent}/${entry.name}`);
        folders.set(name, `${parent}/${entry.name}`);
      } catch {
        // not a package
      }
    }
  }
  return folders;
}

function packageJson(dir: string): { name: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(`${REPO_ROOT}${dir}/package.json`, 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
  };
}

/**
 * The workspace packages the gateway needs at run time: itself and its
 * production `@keyless/*` dependencies, transitively. Name -> folder.
 */
export function gatewayWorkspaces(): Map<string, string> {
  const folders = workspaceFolders();
  const needed = new Map<string, string>();
  const visit = (name: string) => {
    const dir = folders.get(name);
    if (!dir) throw new Error(`${name} is not a workspace package under apps/ or libs/`);
    if (needed.has(name)) return;
    needed.set(name, dir);
    for (const dependency of Object.keys(packageJson(dir).dependencies ?? {}))
      if (dependency.startsWith('@keyless/')) visit(dependency);
  };
  visit('@keyless/gateway');
  return needed;
}
