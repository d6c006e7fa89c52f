import type { Environment } from '@keyless/auth-core';
import type {
  Policy,
  PolicyContext,
  PolicyPlugin,
  PolicyReading,
  PolicyRefusal,
  PolicyRequest,
  Usage,
} from './policy.ts';
import { decodeBody, encodeBody } from './request-body.ts';
import {
  bodyModel,
  namedModel,
  pathModel,
  readJsonBody,
  type JsonBody,
  type NamedModel,
} from './request-model.ts';

/** A plugin whose settings switched it on, with its validated config. */
export interface ConfiguredPolicy {
  readonly plugin: PolicyPlugin;
  readonly config: unknown;
}

/**
 * Parses every plugin's settings once, at startup (a ConfigError names the
 * setting), keeping those switched on, in registration order.
 */
export function configurePolicies(
  env: Environment,
  plugins: readonly PolicyPlugin[],
): readonly ConfiguredPolicy[] {
  return Object.freeze(
    plugins.flatMap((plugin) => {
      const config = plugin.parseConfig(env);
      return config === undefined ? [] : [Object.freeze({ plugin, config })];
    }),
  );
}

/** A request as the gateway hands it to the policies (no credential: two content headers only). */
export interface PolicyInput {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array;
  /** The request's `Content-Encoding`: the body is decompressed (bounded) to read its model. */
  readonly contentEncoding?: string;
  /** The request's `Content-Type`: a body declared JSON must be valid JSON to be read. */
  readonly contentType?: string;
  readonly websocket: boolean;
}

/** A message a client sends on an open WebSocket, with the handshake's route and path. */
export interface PolicyMessageInput {
  readonly route: string;
  readonly path: string;
  readonly message: Uint8Array;
}

/** What the policies decided about a request. */
export type PolicySetVerdict = PolicyRefusal | { readonly body: Buffer };

/** One policy's state, for `/readyz`. */
export type PolicyReport = { readonly policy: string } & Readonly<Record<string, unknown>>;

/**
 * The live policies of a process, run in registration order: the first
 * refusal wins, and a model rewrite is what later policies see (so a budget
 * or a rate limit never counts a refused request, and the model policy's
 * lists judge the model actually sent).
 */
export class PolicySet {
  readonly #policies: readonly Policy[];

  constructor(configured: readonly ConfiguredPolicy[], context: PolicyContext) {
    this.#policies = configured.map(({ plugin, config }) => plugin.create(config, context));
  }

  /** Names of the live policies, in order. */
  get names(): readonly string[] {
    return this.#policies.map((policy) => policy.name);
  }

  /** True when a policy reads the usage of answers (so that answers are worth parsing). */
  get wantsUsage(): boolean {
    return this.#policies.some((policy) => policy.onUsage);
  }

  /** Nothing, a refusal, or the body to send instead (a rewritten model or fields). */
  check(input: PolicyInput): PolicySetVerdict | undefined {
    if (this.#policies.length === 0) return undefined;
    return this.#run(httpRequest(input), (json) =>
      encodeBody(Buffer.from(JSON.stringify(json), 'utf8'), input.contentEncoding),
    );
  }

  /**
   * A client's message on an open WebSocket. A Responses `response.create`
   * is a request (its top-level `model` checked or rewritten, counted,
   * refused once the budget is spent); other messages pass unseen. A
   * message that is not JSON is a request whose model cannot be read.
   */
  checkMessage(input: PolicyMessageInput): PolicySetVerdict | undefined {
    if (this.#policies.length === 0) return undefined;
    const parsed = readJsonBody(input.message, true);
    if (parsed.kind === 'object' && parsed.value.type !== RESPONSE_CREATE) return undefined;
    if (parsed.kind === 'other') return undefined;
    const json = parsed.kind === 'object' ? parsed.value : undefined;
    const model = bodyModel(json);
    return this.#run(
      {
        route: input.route,
        method: 'WEBSOCKET',
        path: input.path,
        model,
        modelIn: model === undefined ? undefined : 'body',
        jsonBody: json !== undefined,
        json,
        unreadable: parsed.kind === 'invalid' ? 'is not valid JSON' : undefined,
        bodyBytes: input.message.length,
        websocket: true,
      },
      (rewritten) => Buffer.from(JSON.stringify(rewritten), 'utf8'),
    );
  }

  /** Runs the policies in order; `serialize` makes the body of a rewritten JSON object. */
  #run(
    first: PolicyRequest,
    serialize: (json: Readonly<Record<string, unknown>>) => Buffer,
  ): PolicySetVerdict | undefined {
    let request = first;
    let rewritten: Readonly<Record<string, unknown>> | undefined;
    for (const policy of this.#policies) {
      const verdict = policy.check?.(request);
      if (!verdict) continue;
      if ('refuse' in verdict) return verdict;
      // Only a body can change; a policy asking more is ignored rather than trusted.
      const json = request.json;
      if (request.modelIn === 'path' || !json) continue;
      const fields = 'model' in verdict ? { model: verdict.model } : verdict.set;
      rewritten = { ...json, ...fields };
      const model = bodyModel(rewritten);
      request = {
        ...request,
        model,
        modelIn: model === undefined ? undefined : 'body',
        jsonBody: true,
        json: rewritten,
      };
    }
    if (!rewritten) return undefined;
    return { body: serialize(rewritten) };
  }

  /** The usage of an answer that reached the client. */
  recordUsage(usage: Usage): void {
    for (const policy of this.#policies) policy.onUsage?.(usage);
  }

  /** Each policy's summary. */
  report(): PolicyReport[] {
    return this.#policies.map((policy) => ({ policy: policy.name, ...policy.state().summary }));
  }

  /** Each policy's numbers, for metrics. */
  readings(): Array<PolicyReading & { readonly policy: string }> {
    return this.#policies.flatMap((policy) =>
      policy.state().readings.map((reading) => ({ policy: policy.name, ...reading })),
    );
  }
}

/** The Responses API's message that starts a response (a request, on a WebSocket). */
const RESPONSE_CREATE = 'response.create';

/** Media types whose body is JSON (`application/json`, `application/*+json`). */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * The request's view; the body is decompressed and parsed only if a policy
 * asks for the model or the JSON (and never when the path names the model).
 */
function httpRequest(input: PolicyInput): PolicyRequest {
  let body: { json: JsonBody; unreadable?: string } | undefined;
  const read = () => {
    if (body) return body;
    const decoded = decodeBody(input.body, input.contentEncoding);
    if ('unreadable' in decoded)
      return (body = { json: { kind: 'none' }, unreadable: decoded.unreadable });
    const json = readJsonBody(decoded.bytes, JSON_TYPE.test(input.contentType ?? ''));
    return (body = json.kind === 'invalid' ? { json, unreadable: 'is not valid JSON' } : { json });
  };
  const json = () => {
    const parsed = read().json;
    return parsed.kind === 'object' ? parsed.value : undefined;
  };
  let named: NamedModel | undefined | null = null;
  const model = () => (named === null ? (named = namedModel(input.path, json)) : named);
  return {
    route: input.route,
    method: input.method,
    path: input.path,
    get model() {
      return model()?.model;
    },
    get modelIn() {
      return model()?.modelIn;
    },
    get jsonBody() {
      return json() !== undefined;
    },
    get json() {
      return json();
    },
    get unreadable() {
      return pathModel(input.path) === undefined ? read().unreadable : undefined;
    },
    bodyBytes: input.body?.length ?? 0,
    websocket: input.websocket,
  };
}
