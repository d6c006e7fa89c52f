import { readJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { providerGenerator } from './provider-generator.ts';

// The parts of the real workspace the generator edits, as they look today.
const PLUGINS = `import type { ProviderPlugin } from '@keyless/auth-core';
import { anthropicPlugin } from '@keyless/providers-anthropic/plugin';
import { gcpPlugin } from '@keyless/providers-gcp/plugin';

export const PROVIDER_PLUGINS: readonly ProviderPlugin[] = [
  gcpPlugin,
  anthropicPlugin,
];
`;

const LOCK = {
  name: 'keyless',
  lockfileVersion: 3,
  packages: {
    '': { name: 'keyless', workspaces: ['apps/*', 'libs/*'] },
    'apps/gateway': {
      name: '@keyless/gateway',
      dependencies: { '@keyless/auth-core': '*', fastify: '^5.0.0' },
    },
    'libs/auth-core': { name: '@keyless/auth-core', version: '0.1.0' },
    'libs/usage': { name: '@keyless/usage', version: '0.1.0' },
    'node_modules/@keyless/auth-core': { resolved: 'libs/auth-core', link: true },
    'node_modules/@keyless/usage': { resolved: 'libs/usage', link: true },
    'node_modules/undici': { version: '7.30.2' },
  },
};

let tree: Tree;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  tree.write('apps/gateway/src/plugins.ts', PLUGINS);
  tree.write(
    'apps/gateway/package.json',
    JSON.stringify({
      name: '@keyless/gateway',
      dependencies: { '@keyless/auth-core': '*', fastify: '^5.0.0' },
    }),
  );
  tree.write(
    'libs/auth-core/package.json',
    JSON.stringify({ name: '@keyless/auth-core', dependencies: { undici: '^7.30.2' } }),
  );
  tree.write('package-lock.json', JSON.stringify(LOCK));
});

describe('provider generator', () => {
  it('creates the library with every name spelled for the provider and no template left', async () => {
    await providerGenerator(tree, { name: 'acme-id', skipFormat: true });
    const root = 'libs/providers-acme-id';
    for (const file of [
      'package.json',
      'README.md',
      'tsconfig.json',
      'vitest.config.ts',
      'src/index.ts',
      'src/acme-id-settings.ts',
      'src/acme-id-config.ts',
      'src/acme-id-plugin.ts',
      'src/errors.ts',
      'src/exchange-acme-id-token.ts',
      'src/testing/fake-acme-id-token-service.ts',
      'src/acme-id-plugin.conformance.test.ts',
    ]) {
      expect(tree.exists(`${root}/${file}`), file).toBe(true);
    }
    const written = tree.listChanges().filter((change) => change.path.startsWith(root));
    for (const change of written) {
      const text = change.content?.toString('utf8') ?? '';
      expect(text, change.path).not.toMatch(/<%|__name__|\.template/);
      expect(change.path).not.toMatch(/__name__|\.template$/);
    }
    expect(readJson(tree, `${root}/package.json`)).toMatchObject({
      name: '@keyless/providers-acme-id',
      exports: { '.': './src/index.ts', './plugin': './src/acme-id-plugin.ts' },
      dependencies: { '@keyless/auth-core': '*', undici: '^7.30.2' },
    });
    const settings = tree.read(`${root}/src/acme-id-settings.ts`, 'utf-8');
    expect(settings).toContain("env: 'AWF_AUTH_ACME_ID_TOKEN_URL'");
    expect(settings).toContain("export const DEFAULT_ACME_ID_AUDIENCE = 'acme-id';");
    const plugin = tree.read(`${root}/src/acme-id-plugin.ts`, 'utf-8');
    expect(plugin).toContain('export function createAcmeIdPlugin(');
    expect(plugin).toContain("route: Object.freeze({ name: 'openai' })");
    expect(tree.read(`${root}/src/index.ts`, 'utf-8')).toBe(
      [
        "export { acmeIdPlugin, createAcmeIdPlugin } from './acme-id-plugin.ts';",
        "export type { AcmeIdPluginDeps } from './acme-id-plugin.ts';",
        "export type { AcmeIdConfig } from './acme-id-config.ts';",
        '',
      ].join('\n'),
    );
  });

  it('registers the plugin from its light entry, imports in order, at the end of the list', async () => {
    await providerGenerator(tree, { name: 'bravo', skipFormat: true });
    expect(tree.read('apps/gateway/src/plugins.ts', 'utf-8')).toBe(
      PLUGINS.replace(
        'import { gcpPlugin }',
        "import { bravoPlugin } from '@keyless/providers-bravo/plugin';\nimport { gcpPlugin }",
      ).replace('  anthropicPlugin,\n', '  anthropicPlugin,\n  bravoPlugin,\n'),
    );
    await providerGenerator(tree, { name: 'zulu', route: 'anthropic', skipFormat: true });
    const source = tree.read('apps/gateway/src/plugins.ts', 'utf-8') ?? '';
    expect(source.indexOf("'@keyless/providers-zulu/plugin'")).toBeGreaterThan(
      source.indexOf("'@keyless/providers-gcp/plugin'"),
    );
    expect(source).toMatch(/bravoPlugin,\n {2}zuluPlugin,\n\];/);
  });

  it('adds the gateway dependency and the lockfile entries npm would write, in npm order', async () => {
    await providerGenerator(tree, { name: 'acme-id', skipFormat: true });
    const gateway = readJson(tree, 'apps/gateway/package.json');
    expect(Object.keys(gateway.dependencies)).toEqual([
      '@keyless/auth-core',
      '@keyless/providers-acme-id',
      'fastify',
    ]);
    const lock = readJson(tree, 'package-lock.json');
    expect(lock.packages['libs/providers-acme-id']).toEqual({
      name: '@keyless/providers-acme-id',
      version: '0.1.0',
      dependencies: { '@keyless/auth-core': '*', undici: '^7.30.2' },
      devDependencies: { '@keyless/fakes': '*' },
    });
    expect(lock.packages['node_modules/@keyless/providers-acme-id']).toEqual({
      resolved: 'libs/providers-acme-id',
      link: true,
    });
    expect(lock.packages['apps/gateway'].dependencies).toEqual(gateway.dependencies);
    expect(Object.keys(lock.packages)).toEqual([
      '',
      'apps/gateway',
      'libs/auth-core',
      'libs/providers-acme-id',
      'libs/usage',
      'node_modules/@keyless/auth-core',
      'node_modules/@keyless/providers-acme-id',
      'node_modules/@keyless/usage',
      'node_modules/undici',
    ]);
  });

  it('uses the given route and audience', async () => {
    await providerGenerator(tree, {
      name: 'acme',
      route: 'gemini',
      audience: 'https://acme.example',
      skipFormat: true,
    });
    expect(tree.read('libs/providers-acme/src/acme-plugin.ts', 'utf-8')).toContain(
      "name: 'gemini'",
    );
    expect(tree.read('libs/providers-acme/src/acme-settings.ts', 'utf-8')).toContain(
      "'https://acme.example'",
    );
  });

  it.each([
    [{ name: 'Acme' }, 'provider name "Acme"'],
    [{ name: 'acme--id' }, 'provider name "acme--id"'],
    [{ name: 'acme', route: 'copilot' }, 'route "copilot"'],
  ])('refuses %j before writing anything', async (options, message) => {
    await expect(providerGenerator(tree, { ...options, skipFormat: true })).rejects.toThrow(
      message,
    );
    expect(tree.listChanges().some((change) => change.path.startsWith('libs/providers-'))).toBe(
      false,
    );
  });

  it('refuses a library that exists already', async () => {
    tree.write('libs/providers-acme/package.json', '{}');
    await expect(providerGenerator(tree, { name: 'acme', skipFormat: true })).rejects.toThrow(
      'libs/providers-acme exists already',
    );
  });
});
