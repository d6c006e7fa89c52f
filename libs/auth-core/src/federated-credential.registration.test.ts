import { pino } from 'pino';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEgressProxy } from './egress.ts';
import { federatedCredential } from './federated-credential.ts';
import type { AcquireContext, AcquiredCredential, ProviderPlugin } from './plugin.ts';
import { REDACTED, Redactor } from './redaction.ts';
import type { RouteCredential } from './route-credential.ts';

/*
 * What the core itself registers for redaction, each rule on its own. Every
 * value here is opaque (no JWT, no known key prefix, no `Bearer`): the
 * redactor's backup patterns cannot hide a missing registration.
 */

const HOUR = 3_600_000;
const MINTED = 'opaque-github-id-token-0001';
const MATERIAL = 'opaque-access-material-0002';
const PART = 'opaque-structured-part-0003';
const PROXY_PASSWORD = 'opaque-proxy-pass-0004';

let redactor = new Redactor();
let credential: RouteCredential | undefined;

/** A plugin that registers nothing itself; `run` sees the context and the redactor during acquire. */
function plugin<M>(
  run: (context: AcquireContext) => Promise<M>,
): ProviderPlugin<Record<string, never>, M> {
  return {
    name: 'opaque',
    authTypes: ['github-oidc'],
    copilotProviderTypes: [],
    route: { name: 'openai' },
    settings: [],
    parseConfig: () => Object.freeze({}),
    credentialKey: () => 'opaque',
    async acquire(_config, context): Promise<AcquiredCredential<M>> {
      return { material: await run(context), expiresAt: Date.now() + HOUR };
    },
    apply(_material, request) {
      request.headers['x-test'] = 'applied';
    },
  };
}

function create<M>(
  run: (context: AcquireContext) => Promise<M>,
  egress?: Parameters<typeof federatedCredential>[0]['egress'],
): RouteCredential {
  credential = federatedCredential({
    plugin: plugin(run),
    config: {},
    // A minter that does not register what it mints (unlike IdTokenMinter): the core must.
    minter: { mint: async () => ({ token: MINTED, expiresAt: Date.now() + HOUR, claims: {} }) },
    redactor,
    logger: pino({ level: 'silent' }),
    ...(egress ? { egress } : {}),
  });
  return credential;
}

async function attach(c: RouteCredential): Promise<void> {
  await c.attach({ method: 'GET', origin: 'https://upstream.example', path: '/', headers: {} });
}

beforeEach(() => {
  redactor = new Redactor();
});

afterEach(() => {
  credential?.close();
  credential = undefined;
});

describe('federatedCredential: what the core registers for redaction', () => {
  it('registers a minted GitHub token before the plugin sees it, whatever the minter does', async () => {
    let seenByPlugin = '';
    const c = create(async (context) => {
      const token = await context.mintIdToken('aud');
      seenByPlugin = redactor.redact(`token ${token}`);
      return 'material-registered-by-nobody-else';
    });
    await attach(c);
    expect(seenByPlugin).toBe(`token ${REDACTED}`);
    expect(redactor.redact(MINTED)).toBe(REDACTED);
  });

  it('registers a bare-token material the plugin never registered', async () => {
    const c = create(async () => MATERIAL);
    expect(redactor.redact(MATERIAL)).toBe(MATERIAL);
    await attach(c);
    expect(redactor.redact(`material ${MATERIAL}`)).toBe(`material ${REDACTED}`);
  });

  it('registerSecret reaches the redactor at once (secrets inside structured material)', async () => {
    let seenByPlugin = '';
    const c = create(async (context) => {
      context.registerSecret(PART);
      seenByPlugin = redactor.redact(PART);
      return { key: PART };
    });
    await attach(c);
    expect(seenByPlugin).toBe(REDACTED);
    expect(redactor.redact(`part ${PART}`)).toBe(`part ${REDACTED}`);
  });

  it('registers the egress proxy password at construction, before any exchange', async () => {
    const agent = new MockAgent();
    const proxy = parseEgressProxy({ HTTPS_PROXY: `http://ci:${PROXY_PASSWORD}@proxy.test:3128` });
    create(async () => MATERIAL, { proxy, dispatcher: agent });
    expect(redactor.redact(`proxy ${PROXY_PASSWORD}`)).toBe(`proxy ${REDACTED}`);
    await agent.close();
  });

  it('hands the plugin the egress it was given', async () => {
    const agent = new MockAgent();
    const proxy = parseEgressProxy({
      HTTPS_PROXY: 'http://proxy.test:3128',
      NO_PROXY: 'direct.test',
    });
    let dispatcher: unknown;
    let proxies: unknown[] = [];
    const c = create(
      async (context) => {
        dispatcher = context.egress.dispatcher;
        proxies = [
          context.egress.proxyUrlFor('https://sts.example'),
          context.egress.proxyUrlFor('https://direct.test'),
        ];
        return MATERIAL;
      },
      { proxy, dispatcher: agent },
    );
    await attach(c);
    expect(dispatcher).toBe(agent);
    expect(proxies).toEqual(['http://proxy.test:3128/', undefined]);
    await agent.close();
  });
});
