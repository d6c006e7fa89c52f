import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VERTEX_ANTHROPIC_VERSION, startGoogleUpstream } from './google.ts';
import type { FakeUpstream } from './sse.ts';

const PIECES = ['Gem', 'ini', ' here'];
const CLAUDE = 'claude-fake@20250101';
const VERTEX_PREFIX = '/v1/projects/my-proj/locations/us-east5/publishers';

/** An Anthropic client speaking to Vertex the way the Vertex SDK does: path per model, model out of the body. */
function vertexClaude(baseUrl: string): Anthropic {
  return new Anthropic({
    apiKey: 'unused',
    baseURL: baseUrl,
    maxRetries: 0,
    fetch: async (input, init) => {
      const body = JSON.parse(String(init?.body)) as { model: string; stream?: boolean };
      const method = body.stream ? 'streamRawPredict' : 'rawPredict';
      const { model, ...rest } = body;
      return fetch(`${baseUrl}${VERTEX_PREFIX}/anthropic/models/${model}:${method}`, {
        ...init,
        body: JSON.stringify({ ...rest, anthropic_version: VERTEX_ANTHROPIC_VERSION }),
      });
    },
  });
}

describe('startGoogleUpstream', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startGoogleUpstream({ chunks: PIECES });
  });
  afterEach(() => {
    upstream.stream.holdAfter = undefined;
    upstream.stream.release();
  });
  afterAll(() => upstream.close());

  const last = () => upstream.requests.at(-1)!;

  describe('Gemini API through @google/genai', () => {
    // genai 3.x defaults to /v1; /v1beta is what most clients (and the Gemini docs) use.
    const ai = (apiVersion = 'v1beta') =>
      new GoogleGenAI({ apiKey: 'gemini-key', httpOptions: { baseUrl: upstream.url, apiVersion } });

    it('answers generateContent', async () => {
      const response = await ai().models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'hi',
      });
      expect(response.text).toBe('Gemini here');
      expect(response.candidates?.[0]?.finishReason).toBe('STOP');
      expect(last().url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
      expect(last().headers['x-goog-api-key']).toBe('gemini-key');
    });

    it('streams streamGenerateContent?alt=sse chunk by chunk', async () => {
      const texts: string[] = [];
      for await (const chunk of await ai().models.generateContentStream({
        model: 'gemini-x',
        contents: 'hi',
      })) {
        texts.push(chunk.text ?? '');
      }
      expect(texts).toEqual(PIECES);
      expect(last().url).toBe('/v1beta/models/gemini-x:streamGenerateContent?alt=sse');
    });

    it('counts tokens, under the SDK default API version too', async () => {
      const count = await ai('v1').models.countTokens({ model: 'gemini-x', contents: 'hi' });
      expect(count.totalTokens).toBeGreaterThan(0);
      expect(last().url).toBe('/v1/models/gemini-x:countTokens');
    });
  });

  describe('Vertex AI', () => {
    it('serves Gemini generateContent and streaming under projects/locations (@google/genai, vertexai)', async () => {
      const ai = new GoogleGenAI({
        vertexai: true,
        project: 'my-proj',
        location: 'us-east5',
        httpOptions: { baseUrl: upstream.url },
        // A stand-in for google-auth-library: only getRequestHeaders() is called.
        googleAuthOptions: {
          authClient: {
            getRequestHeaders: async () => new Headers({ authorization: 'Bearer vertex-token' }),
          },
        } as never,
      });
      const response = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' });
      expect(response.text).toBe('Gemini here');
      expect(last().url).toMatch(
        /^\/v1[a-z0-9]*\/projects\/my-proj\/locations\/us-east5\/publishers\/google\/models\/gemini-2\.5-pro:generateContent$/,
      );
      expect(last().headers.authorization).toBe('Bearer vertex-token');

      let text = '';
      for await (const chunk of await ai.models.generateContentStream({
        model: 'gemini-2.5-pro',
        contents: 'hi',
      })) {
        text += chunk.text ?? '';
      }
      expect(text).toBe('Gemini here');
      expect(last().url).toMatch(/models\/gemini-2\.5-pro:streamGenerateContent\?alt=sse$/);
    });

    it('streams a JSON array without alt=sse, one element per chunk, holding after the first', async () => {
      upstream.stream.holdAfter = 1;
      const completedBefore = upstream.stream.completed;
      const res = await fetch(
        `${upstream.url}${VERTEX_PREFIX}/google/models/gemini-x:streamGenerateContent`,
        {
          method: 'POST',
          body: '{"contents":[]}',
        },
      );
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      expect((await reader.read()).value).toMatch(/^\[\{"candidates"/);
      expect(upstream.stream.completed).toBe(completedBefore);
      upstream.stream.release();
      let rest = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        rest += chunk.value;
      expect(rest.endsWith(']')).toBe(true);
    });

    it('serves Claude rawPredict with a raw `@` model id, parsed by the Anthropic SDK', async () => {
      const message = await vertexClaude(upstream.url).messages.create({
        model: CLAUDE,
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(message.content).toEqual([
        expect.objectContaining({ type: 'text', text: 'Gemini here' }),
      ]);
      expect(last().url).toBe(`${VERTEX_PREFIX}/anthropic/models/${CLAUDE}:rawPredict`);
    });

    it('streams Claude streamRawPredict as Anthropic SSE', async () => {
      const stream = vertexClaude(upstream.url).messages.stream({
        model: CLAUDE,
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const texts: string[] = [];
      stream.on('text', (text) => texts.push(text));
      const final = await stream.finalMessage();
      expect(texts).toEqual(PIECES);
      expect(final.stop_reason).toBe('end_turn');
      expect(last().url).toBe(`${VERTEX_PREFIX}/anthropic/models/${CLAUDE}:streamRawPredict`);
    });

    it('requires anthropic_version in Claude bodies', async () => {
      const res = await fetch(
        `${upstream.url}${VERTEX_PREFIX}/anthropic/models/${CLAUDE}:rawPredict`,
        {
          method: 'POST',
          body: '{"messages":[]}',
        },
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error' },
      });
    });
  });

  it('matches paths raw: an encoded `:` before the method is not found, and is recorded as sent', async () => {
    const res = await fetch(`${upstream.url}/v1beta/models/gemini-x%3AgenerateContent`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    expect(last().url).toBe('/v1beta/models/gemini-x%3AgenerateContent');
  });
});

describe('startGoogleUpstream with authorize', () => {
  it('answers 401 UNAUTHENTICATED to Gemini and authentication_error to Claude when refused', async () => {
    const upstream = await startGoogleUpstream({
      authorize: (r) => r.headers.authorization === 'Bearer ok',
    });
    try {
      const gemini = await fetch(
        `${upstream.url}${VERTEX_PREFIX}/google/models/g:generateContent`,
        {
          method: 'POST',
          body: '{}',
        },
      );
      expect(gemini.status).toBe(401);
      expect(await gemini.json()).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
      const claude = await fetch(
        `${upstream.url}${VERTEX_PREFIX}/anthropic/models/${CLAUDE}:rawPredict`,
        {
          method: 'POST',
          body: '{}',
        },
      );
      expect(await claude.json()).toMatchObject({ error: { type: 'authentication_error' } });
      const ok = await fetch(`${upstream.url}${VERTEX_PREFIX}/google/models/g:generateContent`, {
        method: 'POST',
        headers: { authorization: 'Bearer ok' },
        body: '{}',
      });
      expect(ok.status).toBe(200);
    } finally {
      await upstream.close();
    }
  });
});
