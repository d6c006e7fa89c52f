import { describe, expect, it } from 'vitest';
import { createWirePolicy } from './wire-policy.ts';

type SendRequest = Parameters<ReturnType<typeof createWirePolicy>['policy']['sendRequest']>;
type Request = SendRequest[0];
type Next = SendRequest[1];

function request(url: string, abortSignal?: AbortSignal): Request {
  return { url, ...(abortSignal ? { abortSignal } : {}) } as Request;
}

function answer(status: number, bodyAsText: string, contentType = 'application/json'): Next {
  return async (req) =>
    ({
      request: req,
      status,
      bodyAsText,
      headers: new Map([['content-type', contentType]]),
    }) as unknown as Awaited<ReturnType<Next>>;
}

describe('createWirePolicy', () => {
  it('registers the access token of a 2xx answer and keeps no success body', async () => {
    const secrets: string[] = [];
    const wire = createWirePolicy(new AbortController().signal, (value) => secrets.push(value));
    await wire.policy.sendRequest(
      request('https://login.test/t/oauth2/v2.0/token?client-request-id=1'),
      answer(200, '{"token_type":"Bearer","expires_in":3599,"access_token":"at-secret"}'),
    );
    expect(secrets).toEqual(['at-secret']);
    expect(wire.lastExchange()).toEqual({
      path: '/t/oauth2/v2.0/token',
      status: 200,
      json: true,
      contentType: 'application/json',
    });
  });

  it('keeps the error body of a failed answer, truncated', async () => {
    const wire = createWirePolicy(new AbortController().signal, () => {});
    const body = JSON.stringify({ error: 'invalid_tenant', error_description: 'x'.repeat(10_000) });
    await wire.policy.sendRequest(
      request('https://login.test/t/v2.0/.well-known/openid-configuration'),
      answer(400, body),
    );
    expect(wire.lastExchange()).toMatchObject({ status: 400, errorBody: body.slice(0, 4096) });
  });

  it('records a transport error and rethrows it', async () => {
    const wire = createWirePolicy(new AbortController().signal, () => {});
    const failure = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(
      wire.policy.sendRequest(request('https://login.test/x'), async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(wire.lastExchange()).toEqual({ path: '/x', error: failure });
  });

  it("ties the request to the acquisition's signal as well as the SDK's own", async () => {
    const acquisition = new AbortController();
    const sdk = new AbortController();
    const wire = createWirePolicy(acquisition.signal, () => {});
    let seen: AbortSignal | undefined;
    await wire.policy.sendRequest(request('https://login.test/x', sdk.signal), async (req) => {
      seen = req.abortSignal as AbortSignal;
      return answer(200, '{}')(req);
    });
    expect(seen?.aborted).toBe(false);
    acquisition.abort(new Error('shutdown'));
    expect(seen?.aborted).toBe(true);
  });
});
