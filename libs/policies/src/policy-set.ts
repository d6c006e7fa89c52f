import type { Environment } from '@keyless/auth-core';
import type {
  Policy,
  PolicyContext,
  PolicyPlugin,
  PolicyReading,
  PolicyRefusalCode,
  PolicyRequest,
  Usage,
} from './policy.ts';
import {
  hasJsonObjectBody,
  requestModel,
  rewriteBodyModel,
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

/** A request as the gateway hands it to the policies (no headers: no credential). */
export interface PolicyInput {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array;
  readonly websocket: boolean;
}

/** What the policies decided about a request. */
export type PolicySetVerdict =
  | {
      readonly refuse: PolicyRefusalCode;
      readonly message: string;
      readonly retryAfterSeconds?: number;
    }
  | { readonly body: Buffer };

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

  /** Nothing, a refusal, or the body to send instead (a rewritten model). */
  check(input: PolicyInput): PolicySetVerdict | undefined {
    if (this.#policies.length === 0) return undefined;
    let request = policyRequest(input);
    let rewritten: Buffer | undefined;
    for (const policy of this.#policies) {
      const verdict = policy.check?.(request);
      if (!verdict) continue;
      if ('refuse' in verdict) return verdict;
      // Only a body model can change; a policy asking more is ignored rather than trusted.
      if (request.modelIn === 'path' || !request.jsonBody) continue;
      rewritten = rewriteBodyModel(rewritten ?? input.body, verdict.model);
      request = {
        ...request,
        model: verdict.model,
        modelIn: 'body',
        jsonBody: true,
        bodyBytes: rewritten.length,
      };
    }
    return rewritten ? { body: rewritten } : undefined;
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

/** The request's view; the body is parsed only if a policy asks for the model. */
function policyRequest(input: PolicyInput): PolicyRequest {
  let named: NamedModel | undefined | null = null;
  let jsonBody: boolean | undefined;
  const model = () => (named === null ? (named = requestModel(input.path, input.body)) : named);
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
      return (jsonBody ??= model()?.modelIn === 'body' || hasJsonObjectBody(input.body));
    },
    bodyBytes: input.body?.length ?? 0,
    websocket: input.websocket,
  };
}
