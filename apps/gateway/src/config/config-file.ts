import { readFile } from 'node:fs/promises';
import { ConfigError, type ProviderPlugin } from '@keyless/auth-core';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { authKeyMap } from './auth-keys.ts';
import { FLAVOR_NAMES, type FlavorName } from './flavors.ts';
import { workflowFrontmatter } from './workflow-frontmatter.ts';

/** One entry of a `routes:` list. */
export interface RouteSpec {
  readonly name: string;
  readonly port: number;
  readonly upstream: string;
  readonly flavor: FlavorName;
  /** `engine.auth`-style keys, already mapped to environment variables. */
  readonly authEnv: Readonly<Record<string, string>>;
  /** For a static route: the variable that holds the key. */
  readonly keyEnv?: string;
  readonly label: string;
}

/** What a config file contributes: environment entries and, in the list form, routes. */
export interface ConfigFile {
  readonly env: Readonly<Record<string, string>>;
  readonly routes?: readonly RouteSpec[];
  /** Warnings for the startup log (e.g. values that are GitHub Actions expressions). */
  readonly notes: readonly string[];
}

/** A GitHub Actions expression (`${{ secrets.KEY }}`): only the runner can evaluate it. */
const EXPRESSION = /\$\{\{/;

const ROUTE_KEYS = new Set(['name', 'port', 'upstream', 'flavor', 'auth']);

/**
 * Reads a config file: a gh-aw workflow file as is (frontmatter between `---`
 * lines; the markdown and every other frontmatter key are ignored), a YAML
 * file with the frontmatter's `engine:` block (its `env` entries and `auth`
 * keys become environment variables), or a `routes:` list. Unknown keys under
 * `engine.auth` and in `routes:` are errors naming the key and its line.
 */
export async function readConfigFile(
  path: string,
  plugins: readonly ProviderPlugin[],
): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`KEYLESS_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseConfigFile(text, path, plugins);
}

/** Parses config file text (see readConfigFile). */
export function parseConfigFile(
  text: string,
  path: string,
  plugins: readonly ProviderPlugin[],
): ConfigFile {
  const frontmatter = workflowFrontmatter(text);
  const isWorkflow = frontmatter !== undefined;
  const lines = new LineCounter();
  const doc = parseDocument(frontmatter ?? text, { lineCounter: lines });
  if (doc.errors.length > 0)
    throw new ConfigError(`${path}: invalid YAML: ${doc.errors[0]!.message}`);
  const at = (node: Node | Pair | null | undefined) => {
    const range =
      node && 'range' in node
        ? node.range
        : ((node as Pair | undefined)?.key as Node | undefined)?.range;
    return `${path}:${lines.linePos(range?.[0] ?? 0).line}`;
  };
  const fail = (node: Node | Pair | null | undefined, message: string): never => {
    throw new ConfigError(`${at(node)}: ${message}`);
  };
  const authKeys = authKeyMap(plugins);
  const notes: string[] = [];
  /** A scalar value, or undefined (with a note) for an expression only the runner can evaluate. */
  const value = (node: unknown, where: string, variable: string): string | undefined => {
    const text = scalarText(node, () => fail(node as Node, `${where} must be a scalar`));
    if (!EXPRESSION.test(text)) return text;
    notes.push(
      `${at(node as Node)}: ${where} is a GitHub Actions expression; set ${variable} in the environment instead`,
    );
    return undefined;
  };

  const mapAuth = (auth: unknown, where: string): Record<string, string> => {
    if (!isMap(auth)) return fail(auth as Node, `${where} must be a mapping`);
    const env: Record<string, string> = {};
    for (const pair of auth.items) {
      const key = scalarText(pair.key);
      const setting = authKeys.get(key);
      if (!setting) {
        return fail(
          pair.key as Node,
          `unknown key ${where}.${key} (known: ${[...authKeys.keys()].join(', ')})`,
        );
      }
      const text = value(pair.value, `${where}.${key}`, setting.env);
      if (text !== undefined) env[setting.env] = text;
    }
    return env;
  };

  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'expected a mapping with `engine:` or `routes:`');
  // A workflow's frontmatter has many keys (on, permissions, tools, ...): only engine matters here.
  for (const pair of isWorkflow ? [] : root.items) {
    const key = scalarText(pair.key);
    if (key !== 'engine' && key !== 'routes')
      fail(pair.key as Node, `unknown top-level key ${key}; expected engine or routes`);
  }

  const engine = root.get('engine', true);
  const env: Record<string, string> = {};
  // `engine: copilot` (an engine id alone) configures nothing here.
  if (engine !== undefined && !(isWorkflow && isScalar(engine))) {
    if (!isMap(engine)) return fail(engine as Node, 'engine must be a mapping');
    const engineEnv = (engine as YAMLMap).get('env', true);
    if (engineEnv !== undefined) {
      if (!isMap(engineEnv)) return fail(engineEnv as Node, 'engine.env must be a mapping');
      for (const pair of engineEnv.items) {
        const key = scalarText(pair.key);
        const text = value(pair.value, `engine.env.${key}`, key);
        if (text !== undefined) env[key] = text;
      }
    }
    const auth = (engine as YAMLMap).get('auth', true);
    if (auth !== undefined) Object.assign(env, mapAuth(auth, 'engine.auth'));
    // Other engine keys (id, version, model, max-turns, args, ...) belong to the agent: ignored.
  }

  const routesNode = root.get('routes', true);
  if (routesNode === undefined) return { env, notes };
  if (!isSeq(routesNode)) return fail(routesNode as Node, 'routes must be a list');
  const routes = routesNode.items.map((item, index): RouteSpec => {
    const where = `routes[${index}]`;
    if (!isMap(item)) return fail(item as Node, `${where} must be a mapping`);
    for (const pair of item.items) {
      const key = scalarText(pair.key);
      if (!ROUTE_KEYS.has(key))
        fail(
          pair.key as Node,
          `unknown key ${where}.${key} (known: ${[...ROUTE_KEYS].join(', ')})`,
        );
    }
    const field = (key: string): string => {
      const node = item.get(key, true);
      if (node === undefined) return fail(item, `${where}.${key} is required`);
      return scalarText(node, () => fail(node as Node, `${where}.${key} must be a scalar`));
    };
    const name = field('name');
    const port = Number(field('port'));
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      fail(item.get('port', true) as Node, `${where}.port must be a port number`);
    const flavor = field('flavor');
    if (!(FLAVOR_NAMES as readonly string[]).includes(flavor)) {
      fail(
        item.get('flavor', true) as Node,
        `${where}.flavor must be one of ${FLAVOR_NAMES.join(', ')}`,
      );
    }
    const authNode = item.get('auth', true);
    if (!isMap(authNode))
      return fail((authNode as Node) ?? item, `${where}.auth must be a mapping`);
    // A static route names the variable holding its key; secrets never live in the file.
    const keyEnvNode = authNode.get('key-env', true);
    const keyEnv = keyEnvNode === undefined ? undefined : scalarText(keyEnvNode);
    if (keyEnvNode !== undefined) authNode.delete('key-env');
    const authEnv = mapAuth(authNode, `${where}.auth`);
    const type = authEnv.AWF_AUTH_TYPE;
    if (type === 'static' ? !keyEnv : keyEnv !== undefined || !type) {
      fail(
        authNode,
        `${where}.auth: use {type: static, key-env: VARIABLE} or {type: github-oidc, provider: ..., ...}`,
      );
    }
    return {
      name,
      port,
      upstream: field('upstream'),
      flavor: flavor as FlavorName,
      authEnv,
      keyEnv,
      label: `${at(item)} (${where})`,
    };
  });
  return { env, routes, notes };
}

function scalarText(node: unknown, onError?: () => never): string {
  if (isScalar(node) && node.value !== null && typeof node.value !== 'object')
    return String(node.value).trim();
  if (onError) return onError();
  return String(node);
}
