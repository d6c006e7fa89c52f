import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ExchangeError } from './errors.ts';
import {
  DEFAULT_MINT_TIMEOUT_MS,
  MAX_MINT_ANSWER_BYTES,
  GITHUB_OIDC_ERROR_CODE,
  GITHUB_OIDC_HOP,
  IdTokenMinter,
  mintUrl,
  parseGithubOidcConfig,
} from './github-oidc.ts';
import { REDACTED, Redactor } from './redaction.ts';

const REQUEST_TOKEN = 'request-token-0123456789abcdef';
const EXP = 1_900_000_000;

function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

/** A token service on 127.0.0.1 that records request targets and headers. */
async function startService(handler: Handler) {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, requests };
}

/** Answers `{"value": jwt}` with a distinct `jti` per request. */
function tokenHandler(): Handler {
  let count = 0;
  return (req, res) => {
    count += 1;
    const audience = new URL(req.url ?? '/', 'http://x').searchParams.get('audience');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        value: fakeJwt({ aud: audience, exp: EXP, jti: `t${count}`, sub: 'repo:o/r:ref:x' }),
      }),
    );
  };
}

function minter(requestUrl: string, redactor = new Redactor(), timeoutMs?: number) {
  return new IdTokenMinter({
    config: { requestUrl, requestToken: REQUEST_TOKEN },
    redactor,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

async function mintError(promise: Promise<unknown>): Promise<ExchangeError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExchangeError);
  const exchange = error as ExchangeError;
  expect(exchange.code).toBe(GITHUB_OIDC_ERROR_CODE);
  expect(exchange.hop).toBe(GITHUB_OIDC_HOP);
  expect(exchange.cause).toBeDefined();
  expect(exchange.fix).toMatch(/\S/);
  expect(exchange.fix).not.toContain('\n');
  expect(`${exchange.message} ${exchange.fix ?? ''}`).not.toContain(REQUEST_TOKEN);
  return exchange;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('parseGithubOidcConfig', () => {
  const url = 'https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0';

  it('returns the frozen config', () => {
    const config = parseGithubOidcConfig({
      ACTIONS_ID_TOKEN_REQUEST_URL: url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    });
    expect(config).toEqual({ requestUrl: url, requestToken: REQUEST_TOKEN });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }, /^ACTIONS_ID_TOKEN_REQUEST_URL is not set/],
    [
      { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: ' ' },
      /^ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set/,
    ],
    [{}, /^ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set/],
  ])('names the missing variable and the permission: %j', (env, message) => {
    const error = (() => {
      try {
        parseGithubOidcConfig(env);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).toContain('permissions: id-token: write');
    expect((error as ConfigError).message).not.toContain(REQUEST_TOKEN);
  });

  it.each([
    ['not a url', /not a valid URL/],
    ['ftp://example.com/token', /must be an https:\/\/ URL/],
    ['http://token.example.com/idtoken', /must be an https:\/\/ URL/],
  ])('rejects %s', (value, message) => {
    expect(() =>
      parseGithubOidcConfig({
        ACTIONS_ID_TOKEN_REQUEST_URL: value,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      }),
    ).toThrow(message);
  });

  it('accepts http:// on loopback for local fakes', () => {
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:8080/t',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
    };
    expect(parseGithubOidcConfig(env).requestUrl).toBe('http://127.0.0.1:8080/t');
  });
});

describe('mintUrl', () => {
  it.each([
    [
      'https://h/t?api-version=2.0',
      'https://h/t?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange',
    ],
    ['https://h/t', 'https://h/t?audience=api%3A%2F%2FAzureADTokenExchange'],
    ['https://h/t?', 'https://h/t?audience=api%3A%2F%2FAzureADTokenExchange'],
    ['https://h/t?a=1&', 'https://h/t?a=1&audience=api%3A%2F%2FAzureADTokenExchange'],
    ['https://h/t?a=%2F#frag', 'https://h/t?a=%2F&audience=api%3A%2F%2FAzureADTokenExchange'],
  ])('%s', (url, expected) => {
    expect(mintUrl(url, 'api://AzureADTokenExchange')).toBe(expected);
  });
});

describe('IdTokenMinter.mint', () => {
  it('appends the audience to a URL that already has a query, with the request token', async () => {
    const service = await startService(tokenHandler());
    const minted = await minter(`${service.base}/idtoken?api-version=2.0`).mint(
      'api://AzureADTokenExchange',
    );

    expect(service.requests).toHaveLength(1);
    expect(service.requests[0]?.url).toBe(
      '/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange',
    );
    expect(service.requests[0]?.headers.authorization).toBe(`Bearer ${REQUEST_TOKEN}`);
    expect(minted.claims['aud']).toBe('api://AzureADTokenExchange');
  });

  it('starts the query when the URL has none', async () => {
    const service = await startService(tokenHandler());
    await minter(`${service.base}/idtoken`).mint('sts.amazonaws.com');
    expect(service.requests[0]?.url).toBe('/idtoken?audience=sts.amazonaws.com');
  });

  it('reads the expiry from the JWT and registers both tokens for redaction', async () => {
    const service = await startService(tokenHandler());
    const redactor = new Redactor();
    const minted = await minter(`${service.base}/t`, redactor).mint('aud');

    expect(minted.expiresAt).toBe(EXP * 1000);
    expect(minted.claims).toMatchObject({ exp: EXP, sub: 'repo:o/r:ref:x' });
    expect(redactor.redact(`x ${minted.token} ${REQUEST_TOKEN}`)).toBe(`x ${REDACTED} ${REDACTED}`);
  });

  it('shares one request among concurrent calls for an audience and mints anew after it settled', async () => {
    const held: ServerResponse[] = [];
    const answer = tokenHandler();
    const service = await startService((req, res) => {
      held.push(res);
      // Hold the first two requests (one per audience) until every caller is waiting.
      if (held.length > 2) answer(req, res);
    });
    const idTokens = minter(`${service.base}/t`);
    const calls = [idTokens.mint('a'), idTokens.mint('a'), idTokens.mint('a'), idTokens.mint('b')];
    await expect.poll(() => held.length).toBe(2);
    held.forEach((res, i) => answer(service.requests[i] as IncomingMessage, res));
    const [first, second, third, other] = await Promise.all(calls);

    expect(service.requests).toHaveLength(2);
    expect(second?.token).toBe(first?.token);
    expect(third?.token).toBe(first?.token);
    expect(other?.claims['aud']).toBe('b');

    const later = await idTokens.mint('a');
    expect(service.requests).toHaveLength(3);
    expect(later.token).not.toBe(first?.token);
  });

  it('lets one caller give up without failing the others', async () => {
    const held: ServerResponse[] = [];
    const service = await startService((_req, res) => held.push(res));
    const idTokens = minter(`${service.base}/t`);
    const leaving = new AbortController();
    const staying = idTokens.mint('a');
    const gone = idTokens.mint('a', leaving.signal);
    await expect.poll(() => held.length).toBe(1);

    leaving.abort(new Error('caller left'));
    await expect(gone).rejects.toThrow('caller left');
    tokenHandler()(service.requests[0] as IncomingMessage, held[0] as ServerResponse);
    await expect(staying).resolves.toMatchObject({ expiresAt: EXP * 1000 });
  });

  it('cancels the request when every caller gave up', async () => {
    let closed = false;
    const service = await startService((req) => req.socket.on('close', () => (closed = true)));
    const controller = new AbortController();
    const call = minter(`${service.base}/t`).mint('a', controller.signal);
    await expect.poll(() => service.requests.length).toBe(1);

    controller.abort(new Error('shutdown'));
    await expect(call).rejects.toThrow('shutdown');
    await expect.poll(() => closed).toBe(true);
  });

  it('sends through the given dispatcher', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://token.example')
      .intercept({
        path: '/t?api-version=2.0&audience=aud',
        headers: { authorization: `Bearer ${REQUEST_TOKEN}` },
      })
      .reply(200, { value: fakeJwt({ exp: EXP }) });
    const idTokens = new IdTokenMinter({
      config: {
        requestUrl: 'https://token.example/t?api-version=2.0',
        requestToken: REQUEST_TOKEN,
      },
      redactor: new Redactor(),
      dispatcher: agent,
    });
    await expect(idTokens.mint('aud')).resolves.toMatchObject({ expiresAt: EXP * 1000 });
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  it('exports the default timeout', () => {
    expect(DEFAULT_MINT_TIMEOUT_MS).toBe(10_000);
  });
});

describe('IdTokenMinter.mint errors', () => {
  it.each([401, 403])(
    'HTTP %i: request token rejected, says to add the permission',
    async (status) => {
      const service = await startService((_req, res) => {
        res.statusCode = status;
        res.end(`{"message":"bad token ${REQUEST_TOKEN}"}`);
      });
      const error = await mintError(minter(`${service.base}/t`).mint('a'));
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.message).toContain('request token was rejected');
      expect(error.message).toContain(REDACTED);
      expect(error.fix).toContain('permissions: id-token: write');
      expect(error.retryable).toBe(false);
    },
  );

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [404, false],
    [400, false],
  ])('HTTP %i: says the status, retryable %s', async (status, retryable) => {
    const service = await startService((_req, res) => {
      res.statusCode = status;
      res.end('{"message":"Can\'t issue ID_TOKEN"}');
    });
    const error = await mintError(minter(`${service.base}/t`).mint('a'));
    expect(error.message).toContain(`GitHub OIDC token service answered HTTP ${status}`);
    expect(error.message).toContain("Can't issue ID_TOKEN");
    expect(error.retryable).toBe(retryable);
  });

  it('network error: retryable, with the cause', async () => {
    const service = await startService(() => {});
    const base = service.base;
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const error = await mintError(minter(`${base}/t`).mint('a'));
    expect(error.message).toMatch(/^GitHub OIDC token request failed: .*ECONNREFUSED/);
    expect(error.retryable).toBe(true);
  });

  it('timeout: retryable', async () => {
    const service = await startService(() => {});
    const error = await mintError(minter(`${service.base}/t`, new Redactor(), 50).mint('a'));
    expect(error.message).toBe('GitHub OIDC token request timed out after 50 ms');
    expect(error.retryable).toBe(true);
  });

  it.each([
    ['not JSON', 'value=abc', /answer is not JSON/],
    ['no value', '{"token":"x"}', /no string `value`/],
    ['a non-string value', '{"value":42}', /no string `value`/],
    ['null', 'null', /no string `value`/],
    ['a value that is not a JWT', '{"value":"opaque-minted-secret"}', /`value` is not a JWT/],
    ['a JWT without exp', JSON.stringify({ value: fakeJwt({ sub: 's' }) }), /no `exp` claim/],
  ])('malformed answer: %s', async (_name, body, message) => {
    const service = await startService((_req, res) => res.end(body));
    const redactor = new Redactor();
    const error = await mintError(minter(`${service.base}/t`, redactor).mint('a'));
    expect(error.message).toMatch(message);
    expect(error.retryable).toBe(false);
    expect(redactor.describe(error)).not.toContain('opaque-minted-secret');
    expect(redactor.redact('opaque-minted-secret')).toBe(
      body.includes('opaque') ? REDACTED : 'opaque-minted-secret',
    );
  });
});

describe('IdTokenMinter.mint against a hostile token service', () => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i to another origin or to plain http: refused, the other server receives nothing',
    async (status) => {
      const other = await startService(tokenHandler());
      for (const location of [
        `${other.base}/steal?x=1`,
        `http://localhost:${new URL(other.base).port}/t`,
      ]) {
        const service = await startService((_req, res) => {
          res.statusCode = status;
          res.setHeader('location', location);
          res.end('<html>moved</html>');
        });
        const error = await mintError(minter(`${service.base}/t`).mint('a'));
        expect(error.message).toContain(
          `answered HTTP ${status}, a redirect to ${new URL(location).origin}: refused`,
        );
        expect(error.message).not.toContain('/steal');
        expect(error.retryable).toBe(true);
      }
      expect(other.requests).toHaveLength(0);
    },
  );

  it('an error answer that echoes the request token in any encoding quotes none of it', async () => {
    const echoes = [
      REQUEST_TOKEN,
      encodeURIComponent(REQUEST_TOKEN).toLowerCase(),
      Buffer.from(`x:${REQUEST_TOKEN}`).toString('base64'),
      REQUEST_TOKEN.replace(/-/g, '&#45;'),
      REQUEST_TOKEN.slice(0, 20),
    ];
    const service = await startService((req, res) => {
      res.statusCode = 400;
      res.end(`bad ${req.headers.authorization} ${echoes.join(' | ')}`);
    });
    const error = await mintError(minter(`${service.base}/t`).mint('a'));
    expect(error.message).toContain(`HTTP 400 (bad Bearer ${REDACTED}`);
    for (let i = 0; i + 16 <= REQUEST_TOKEN.length; i += 1) {
      expect(error.message).not.toContain(REQUEST_TOKEN.slice(i, i + 16));
    }
    expect(error.message.length).toBeLessThan(400);
  });

  it('an answer cut off mid-body says so, retryable', async () => {
    const service = await startService((_req, res) => {
      res.setHeader('content-length', '1000');
      res.write('{"value":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIi');
      setImmediate(() => res.destroy());
    });
    const error = await mintError(minter(`${service.base}/t`).mint('a'));
    expect(error.message).toMatch(/^GitHub OIDC token service's HTTP 200 answer was cut off/);
    expect(error.retryable).toBe(true);
  });

  it('reads at most MAX_MINT_ANSWER_BYTES of an answer', async () => {
    const service = await startService((_req, res) => {
      res.statusCode = 500;
      res.end('x'.repeat(5 * MAX_MINT_ANSWER_BYTES));
    });
    const error = await mintError(minter(`${service.base}/t`).mint('a'));
    expect(error.message.length).toBeLessThan(400);
  });

  it('registers the minted token until its exp', async () => {
    const service = await startService(tokenHandler());
    const registered: [string, number | undefined][] = [];
    const redactor = new Redactor();
    const register = redactor.register.bind(redactor);
    redactor.register = (value, options) => {
      registered.push([value, options?.expiresAt]);
      register(value, options);
    };
    const { token } = await minter(`${service.base}/t`, redactor).mint('a');
    expect(registered).toContainEqual([token, EXP * 1000]);
  });
});
