import { readFileSync } from 'node:fs';

/**
 * The version `keyless --version` prints: AWF_VERSION (baked into the image
 * at build time, as the api-proxy's is), else the gateway package's version.
 */
export function keylessVersion(env: Readonly<Record<string, string | undefined>>): string {
  const baked = env.AWF_VERSION?.trim();
  if (baked) return baked;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0-dev';
}
