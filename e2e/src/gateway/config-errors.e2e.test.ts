import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGatewayToExit } from '../harness/gateway-process.ts';

describe('configuration errors stop the process before it listens', () => {
  it.each([
    [
      { OPENAI_API_KEY: 'sk-cfg-0123456789', KEYLESS_OPENAI_PORT: 'not-a-port' },
      /KEYLESS_OPENAI_PORT/,
    ],
    [{ OPENAI_API_KEY: 'sk-cfg-0123456789', OPENAI_API_TARGET: 'ftp://nope' }, /OPENAI_API_TARGET/],
    [
      {
        COPILOT_PROVIDER_BASE_URL: 'https://b.example',
        COPILOT_PROVIDER_API_KEY: 'k-cfg-0123456789',
        COPILOT_PROVIDER_TYPE: 'mistral',
      },
      /COPILOT_PROVIDER_TYPE/,
    ],
    [
      {
        OPENAI_API_KEY: 'sk-cfg-0123456789',
        AWF_AUTH_TYPE: 'github-oidc',
        AWF_AUTH_PROVIDER: 'nimbus',
      },
      /AWF_AUTH_PROVIDER/,
    ],
    [
      { OPENAI_API_KEY: 'sk-cfg-0123456789', KEYLESS_CONFIG: '/nonexistent/keyless.yaml' },
      /KEYLESS_CONFIG/,
    ],
  ])('%o exits non-zero naming the variable', async (env, message) => {
    const { code, stdout, stderr } = await runGatewayToExit(env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).not.toContain('gateway.listening');
    expect(stderr + stdout).not.toContain('0123456789');
  });

  it('names the port setting when a port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const { code, stderr } = await runGatewayToExit({
        OPENAI_API_KEY: 'sk-cfg-0123456789',
        KEYLESS_MANAGEMENT_PORT: String(port),
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(/KEYLESS_MANAGEMENT_PORT: cannot listen on .*EADDRINUSE/);
    } finally {
      taken.close();
    }
  });

  it('names the key and line of an unknown engine.auth key in a config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-cfg-'));
    const file = join(dir, 'keyless.yaml');
    writeFileSync(
      file,
      [
        'engine:',
        '  id: copilot',
        '  model: gpt-5',
        '  auth:',
        '    type: github-oidc',
        '    tenant: nope',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runGatewayToExit({ KEYLESS_CONFIG: file });
    expect(code).toBe(2);
    expect(stderr).toMatch(/keyless\.yaml:6/);
    expect(stderr).toMatch(/engine\.auth\.tenant/);
  });
});
