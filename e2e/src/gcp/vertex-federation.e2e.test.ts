import { bearerOf } from '@keyless/fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../harness/canary.ts';
import {
  claudeBody,
  GEMINI_BODY,
  PROVIDER,
  SERVICE_ACCOUNT,
  startGcpRig,
  type GcpRig,
} from './gcp-rig.ts';

const LOCATION = '/v1/projects/octo-project/locations/us-east5';
const GEMINI = `${LOCATION}/publishers/google/models/gemini-2.5-flash`;
// `@` and `:` in one path: what Claude-on-Vertex clients send.
const CLAUDE = `${LOCATION}/publishers/anthropic/models/claude-sonnet-4@20250514`;
const ANSWER = 'Hello from the fake upstream.';
/** What an agent holds instead of a key: the gateway must drop it. */
const PLACEHOLDER_KEY = 'placeholder-goog-api-key';
const HEADERS = { 'content-type': 'application/json', 'x-goog-api-key': PLACEHOLDER_KEY };

/** `data:` payloads of an SSE body, parsed as JSON. */
function sseData(text: string): Array<Record<string, unknown>> {
  return text
    .split(/\r?\n\r?\n/)
    .flatMap((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data: ')))
    .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
}

const MODES = [
  // The bare resource name in one mode and the `//iam.googleapis.com/` form in the other: both must normalise.
  { mode: 'direct federation', serviceAccount: undefined, providerValue: PROVIDER },
  {
    mode: 'service-account impersonation',
    serviceAccount: SERVICE_ACCOUNT,
    providerValue: `//iam.googleapis.com/${PROVIDER}`,
  },
] as const;

describe.each(MODES)(
  'GCP $mode on the vertex route (real gateway process)',
  ({ serviceAccount, providerValue }) => {
    let rig: GcpRig;

    /** The token the gateway should send: the impersonated one when impersonating, else the federated one. */
    const finalTokens = () => (serviceAccount ? rig.sts.impersonated : rig.sts.federated);

    beforeAll(async () => {
      rig = await startGcpRig({ sts: { serviceAccounts: [SERVICE_ACCOUNT] } });
      await rig.startGateway({
        AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER: providerValue,
        AWF_AUTH_GCP_SERVICE_ACCOUNT: serviceAccount,
      });
    });
    afterAll(async () => {
      await rig?.close();
    });

    const post = (path: string, body: string) => rig.post('vertex', path, body, HEADERS);

    it('Gemini generateContent: the upstream gets the final access token as Bearer, never the GitHub token or a key', async () => {
      const res = await post(`${GEMINI}:generateContent`, GEMINI_BODY);
      expect(res.status).toBe(200);
      const answer = JSON.parse(res.text) as {
        candidates: Array<{ content: { parts: Array<{ text: string }> } }>;
      };
      expect(answer.candidates[0]!.content.parts[0]!.text).toBe(ANSWER);

      const seen = rig.google.requests.at(-1)!;
      expect(seen.url).toBe(`${GEMINI}:generateContent`);
      expect(seen.headers['x-goog-api-key']).toBeUndefined();
      const token = bearerOf(seen);
      expect(token).toBe(finalTokens().at(-1));
      if (serviceAccount) expect(rig.sts.federated).not.toContain(token);
      expect(rig.issuer.minted).not.toContain(token);
    });

    it('exchanges with the normalised audiences (and impersonates with the federated token)', async () => {
      const { issuer, sts } = rig;
      // GitHub token audience: https://iam.googleapis.com/{provider}; STS audience: //iam.googleapis.com/{provider}.
      await expect(
        issuer.verify(issuer.minted[0]!, { audience: `https://iam.googleapis.com/${PROVIDER}` }),
      ).resolves.toBeTruthy();
      const exchange = new URLSearchParams(
        sts.requests.find((r) => r.url === '/v1/token')!.body.toString('utf8'),
      );
      expect(exchange.get('audience')).toBe(`//iam.googleapis.com/${PROVIDER}`);
      expect(exchange.get('subject_token')).toBe(issuer.minted[0]);
      expect(exchange.get('scope')).toBe('https://www.googleapis.com/auth/cloud-platform');

      const iamCalls = sts.requests.filter((r) => r.url.endsWith(':generateAccessToken'));
      if (!serviceAccount) {
        expect(iamCalls).toEqual([]);
        return;
      }
      expect(iamCalls[0]!.url).toBe(
        `/v1/projects/-/serviceAccounts/${SERVICE_ACCOUNT}:generateAccessToken`,
      );
      expect(bearerOf(iamCalls[0]!)).toBe(sts.federated[0]);
      expect(JSON.parse(iamCalls[0]!.body.toString('utf8'))).toMatchObject({
        scope: ['https://www.googleapis.com/auth/cloud-platform'],
        lifetime: '3600s',
      });
    });

    it('Gemini streamGenerateContent?alt=sse streams chunk by chunk as SSE', async () => {
      const { google } = rig;
      google.stream.holdAfter = 2;
      try {
        // Read chunk by chunk, so not through `rig.post` (which reads the whole body).
        const res = await fetch(
          `${rig.gateway.url('vertex')}${GEMINI}:streamGenerateContent?alt=sse`,
          {
            method: 'POST',
            headers: HEADERS,
            body: GEMINI_BODY,
          },
        );
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = decoder.decode((await reader.read()).value, { stream: true });
        expect(text).toContain('data: ');
        await google.stream.waitFor('held');
        // The upstream still holds the rest of the stream while the client already has its first event.
        expect(google.stream.completed).toBe(0);
        google.stream.release();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          text += decoder.decode(chunk.value, { stream: true });
        }
        rig.responses.push(text);
        const pieces = sseData(text).map(
          (event) =>
            (event as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> })
              .candidates[0]!.content.parts[0]!.text,
        );
        expect(pieces.join('')).toBe(ANSWER);
        expect(pieces.length).toBeGreaterThan(1);
      } finally {
        google.stream.holdAfter = undefined;
        google.stream.release();
      }
      const seen = google.requests.at(-1)!;
      expect(seen.url).toBe(`${GEMINI}:streamGenerateContent?alt=sse`);
      expect(bearerOf(seen)).toBe(finalTokens().at(-1));
    });

    it('Claude rawPredict: the path with @ and : arrives unchanged', async () => {
      const res = await post(`${CLAUDE}:rawPredict`, claudeBody(false));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        type: 'message',
        content: [{ type: 'text', text: ANSWER }],
      });
      const seen = rig.google.requests.at(-1)!;
      expect(seen.url).toBe(`${CLAUDE}:rawPredict`);
      expect(bearerOf(seen)).toBe(finalTokens().at(-1));
      expect(seen.headers['x-goog-api-key']).toBeUndefined();
    });

    it('Claude streamRawPredict: Anthropic SSE events arrive as a stream, path unchanged', async () => {
      const res = await post(`${CLAUDE}:streamRawPredict`, claudeBody(true));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = sseData(res.text);
      expect(events[0]).toMatchObject({ type: 'message_start' });
      expect(events.at(-1)).toMatchObject({ type: 'message_stop' });
      const deltas = events
        .filter((event) => event.type === 'content_block_delta')
        .map((event) => (event as { delta: { text: string } }).delta.text);
      expect(deltas.join('')).toBe(ANSWER);
      expect(res.text).toMatch(/^event: message_start\n/);
      expect(rig.google.requests.at(-1)!.url).toBe(`${CLAUDE}:streamRawPredict`);
    });

    it('an upstream 401 renews the credential once and replays once: the client sees 200', async () => {
      const { google, sts } = rig;
      const rejected = finalTokens().at(-1)!;
      rig.revoke(rejected);
      const federatedBefore = sts.federated.length;
      const impersonatedBefore = sts.impersonated.length;
      const upstreamBefore = google.requests.length;

      const res = await post(`${CLAUDE}:rawPredict`, claudeBody(false));
      expect(res.status).toBe(200);

      const seen = google.requests.slice(upstreamBefore);
      expect(seen.map(bearerOf)).toEqual([rejected, finalTokens().at(-1)]);
      expect(seen[1]!.url).toBe(`${CLAUDE}:rawPredict`);
      // Exactly one new exchange (STS, plus IAM when impersonating).
      expect(sts.federated.length).toBe(federatedBefore + 1);
      expect(sts.impersonated.length).toBe(impersonatedBefore + (serviceAccount ? 1 : 0));

      const replayed = await rig.waitForEvents('request', 1, (line) => line.replayed === true);
      expect(replayed).toHaveLength(1);
      expect(replayed[0]).toMatchObject({ route: 'vertex', status: 200, upstreamStatus: 200 });
      expect(await rig.metric('keyless_replays_total', { route: 'vertex', provider: 'gcp' })).toBe(
        1,
      );
    });

    it('readiness reports the gcp credential on the vertex route', async () => {
      const ready = await rig.readiness('vertex');
      expect(ready.status).toBe(200);
      expect(ready.route).toMatchObject({
        route: 'vertex',
        provider: 'gcp',
        auth: 'github-oidc',
        ready: true,
      });
      expect((await rig.health('vertex')).body).toMatchObject({
        status: 'healthy',
        provider: 'gcp',
      });
    });

    it('canary: no request token, GitHub token or issued access token in any output, response or upstream request', async () => {
      const { issuer, sts, google } = rig;
      expect(await rig.gateway.stop()).toBe(0);
      // Non-empty lists, or the scan would prove nothing.
      expect(issuer.minted.length).toBeGreaterThan(0);
      expect(sts.issued.length).toBeGreaterThan(0);
      expect(rig.leaks()).toEqual([]);
      // The GitHub token and the request token go to STS only, never to the model upstream.
      const upstream = google.requests
        .map((r) => JSON.stringify(r.headers) + r.body.toString('utf8'))
        .join('\n');
      expect(findLeaks({ upstream }, [issuer.requestToken, ...issuer.minted])).toEqual([]);
    });
  },
);
