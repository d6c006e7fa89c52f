import { Redactor } from '@keyless/auth-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AZURE_SETTINGS } from './azure-settings.ts';
import { mapEntraError } from './map-entra-error.ts';
import { parseAzureConfig } from './azure-config.ts';

const remoteText = (value: unknown, maxChars?: number) =>
  new Redactor().remoteText(value, maxChars);

// Table cells compared with their padding collapsed (prettier aligns the columns).
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(/ +/g, ' ');

describe('README', () => {
  it('lists every setting with its frontmatter key', () => {
    for (const setting of AZURE_SETTINGS) {
      const key = setting.authKey ? `\`${setting.authKey}\`` : '';
      expect(readme).toMatch(new RegExp(`\\| \`${setting.env}\` \\| ${key}\\s*\\|`));
    }
  });

  it('lists every error code the mapping can produce', () => {
    const config = parseAzureConfig({
      AWF_AUTH_AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      AWF_AUTH_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    });
    const samples = [
      { errorNo: '70021', status: 401 },
      { errorNo: '700016', status: 400 },
      { errorNo: '700024', status: 400 },
      { errorNo: '7000215', status: 401 },
      { errorNo: '1002012', status: 400 },
      { errorNo: '90002', status: 400 },
      { code: 'ECONNREFUSED' },
      { status: 503 },
      { errorNo: '50000', status: 400 },
    ];
    const codes = samples.map(
      (sample) => mapEntraError(Object.assign(new Error('x'), sample), { config, remoteText }).code,
    );
    codes.push(
      mapEntraError(new Error('x'), { remoteText, config, wire: { path: '/', status: 200 } }).code,
    );
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(readme).toContain(`| \`${code}\` |`);
  });
});
