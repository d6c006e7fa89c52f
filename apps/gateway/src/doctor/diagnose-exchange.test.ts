import {
  createPluginEgress,
  ExchangeError,
  Redactor,
  type ProviderPlugin,
} from '@keyless/auth-core';
import { getGlobalDispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { FederatedAuth } from '../config/gateway-config.ts';
import { diagnoseExchange } from './diagnose-exchange.ts';

const NOW = 1_800_000_000_000;
const CLAIMS = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:o/r:ref:refs/heads/main',
  aud: 'aud-x',
  exp: NOW / 1000 + 300,
  jti: 'not-shown',
  repository: 'o/r',
};

function authWith(acquire: ProviderPlugin['acquire']): FederatedAuth {
  const plugin = { name: 'test', acquire } as unknown as ProviderPlugin;
  return {
    kind: 'federated',
    type: 'github-oidc',
    plugin,
    config: {},
    oidc: { requestUrl: 'http://127.0.0.1:1/token?x=1', requestToken: 'request-token' },
  };
}

function deps(timeoutMs = 1000) {
  const minted: string[] = [];
  return {
    minted,
    redactor: new Redactor(),
    egress: createPluginEgress({}, getGlobalDispatcher()),
    now: () => NOW,
    timeoutMs,
    minter: {
      mint: async (audience: string) => {
        minted.push(audience);
        return {
          token: 'github.jwt.value',
          expiresAt: NOW + 300_000,
          claims: { ...CLAIMS, aud: audience },
        };
      },
    },
  };
}

describe('diagnoseExchange', () => {
  it('shows each hop, the public claims and the lifetime of a successful exchange', async () => {
    const d = deps();
    const outcome = await diagnoseExchange(
      authWith(async (_config, context) => {
        await context.mintIdToken('aud-x');
        await context.hop('exchange-hop', async () => 'ok');
        return { material: 'the-credential', expiresAt: NOW + 3_600_000 };
      }),
      d,
    );
    expect(outcome.ok).toBe(true);
    expect(outcome.steps.map((s) => [s.name, s.status])).toEqual([
      ['github-oidc', 'ok'],
      ['exchange-hop', 'ok'],
      ['credential', 'ok'],
    ]);
    expect(outcome.steps[0]?.detail).toBe('token for aud aud-x, valid 300 s');
    expect(outcome.claims).toEqual({ ...CLAIMS, jti: undefined, exp: CLAIMS.exp });
    expect(outcome.claims).not.toHaveProperty('jti');
    expect(outcome.lifetimeSeconds).toBe(3600);
    expect(d.redactor.redact('x the-credential y')).toBe('x [REDACTED] y');
  });

  it('puts the error, its code and fix on the hop that failed', async () => {
    const outcome = await diagnoseExchange(
      authWith(async (_config, context) => {
        await context.mintIdToken('aud-x');
        return context.hop('exchange-hop', async () => {
          throw new ExchangeError('KEYLESS_ERR_TEST', 'exchange-hop', 'the cloud said no', {
            fix: 'register the subject',
          });
        });
      }),
      deps(),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.steps[1]).toMatchObject({
      name: 'exchange-hop',
      status: 'fail',
      code: 'KEYLESS_ERR_TEST',
      fix: 'register the subject',
    });
    expect(outcome.steps[1]?.detail).toContain('the cloud said no');
    expect(outcome.claims?.sub).toBe(CLAIMS.sub);
  });

  it('names the hop of an error thrown outside any timed hop', async () => {
    const outcome = await diagnoseExchange(
      authWith(async () => {
        throw new ExchangeError('KEYLESS_ERR_TEST', 'setup', 'bad answer', { fix: 'fix it' });
      }),
      deps(),
    );
    expect(outcome.steps).toEqual([
      expect.objectContaining({ name: 'setup', status: 'fail', fix: 'fix it' }),
    ]);
    expect(outcome.claims).toBeUndefined();
  });

  it('gives up on a hop that never answers', async () => {
    const outcome = await diagnoseExchange(
      authWith((_config, context) =>
        context.hop(
          'slow-hop',
          () =>
            new Promise((_resolve, reject) => {
              context.signal.addEventListener('abort', () => reject(context.signal.reason));
            }),
        ),
      ),
      deps(20),
    );
    expect(outcome.steps[0]).toMatchObject({ name: 'slow-hop', status: 'fail' });
    expect(outcome.steps[0]?.detail).toContain('no answer within 20 ms');
    expect(outcome.steps[0]?.fix).toContain('did not answer');
  });
});
