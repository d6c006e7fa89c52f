import type { Environment, Setting } from '@keyless/auth-core';

/**
 * The request policy contract, beside the auth contract and as small: a
 * plugin parses its own settings once, at startup, and makes one `Policy`
 * that sees each request before it leaves and the usage of each answer.
 * Policies never see credentials; the gateway runs them before signing.
 */
export interface PolicyPlugin<Config = unknown> {
  /** e.g. `rate-limit`; names the policy in logs, `/readyz` and metrics. */
  readonly name: string;
  /** The settings it reads (for the reference and error messages). */
  readonly settings: readonly Setting[];
  /**
   * Validates the settings once into a frozen value, or undefined when they
   * leave the policy off. Throws a ConfigError naming the setting (`configError`).
   */
  parseConfig(env: Environment): Config | undefined;
  /** The live policy; all its state lives in it. */
  create(config: Config, context: PolicyContext): Policy;
}

/** What the gateway hands to a policy. */
export interface PolicyContext {
  /** Clock, ms epoch (injected so that tests control time). */
  now(): number;
  /** One structured event (`event` names the kind, e.g. `budget.exhausted`); never a secret. */
  log(
    level: 'info' | 'warn',
    event: string,
    fields: Record<string, unknown>,
    message: string,
  ): void;
}

/** A request as policies see it: no headers, so no credential. */
export interface PolicyRequest {
  readonly route: string;
  readonly method: string;
  /** Upstream path and query as sent (percent-escapes as the client wrote them). */
  readonly path: string;
  /** The model the request names, after earlier rewrites; undefined when it names none. */
  readonly model: string | undefined;
  /** Where the model is named: only a body model can be rewritten. */
  readonly modelIn: 'body' | 'path' | undefined;
  /** True when the body is a JSON object, so that a model can be set in it. */
  readonly jsonBody: boolean;
  /** The body's JSON object (decompressed, after earlier rewrites); undefined when it is none. */
  readonly json: Readonly<Record<string, unknown>> | undefined;
  /**
   * Why the body could not be read when the path names no model (it is
   * compressed with an unknown coding, or declared or shaped as JSON but not
   * valid JSON): its model, if any, is unknown. Undefined otherwise.
   */
  readonly unreadable: string | undefined;
  /** Request body length as sent, bytes (0 for a WebSocket handshake; a message's length for a WebSocket message). */
  readonly bodyBytes: number;
  /** A WebSocket handshake, or a message (`response.create`) on an open WebSocket. */
  readonly websocket: boolean;
}

/** Gateway error codes a policy may answer with (each flavored per route by the gateway). */
export type PolicyRefusalCode =
  'rate_limited' | 'budget_exhausted' | 'model_not_allowed' | 'payload_too_large';

/** A rate limit's honest figures at a refusal (`X-RateLimit-Limit`, `-Remaining`, `-Reset`). */
export interface RateLimitFigures {
  readonly limit: number;
  readonly remaining: number;
  /** When the request would pass, s epoch. */
  readonly resetAt: number;
}

/** A refusal. */
export interface PolicyRefusal {
  readonly refuse: PolicyRefusalCode;
  /** Says which setting refused and why; shown to the client. */
  readonly message: string;
  /** Seconds until the same request would pass (becomes `Retry-After`). */
  readonly retryAfterSeconds?: number;
  readonly rateLimit?: RateLimitFigures;
}

/**
 * A policy's decision: refuse, send another model, or set top-level fields
 * of the JSON body (both only when `jsonBody` and the model is not in the path).
 */
export type PolicyVerdict =
  PolicyRefusal | { readonly model: string } | { readonly set: Readonly<Record<string, unknown>> };

/** Token counts of one answer, as the usage parsers report them. */
export interface Usage {
  /** Route that answered. */
  readonly route: string;
  /** Prompt tokens as the wire reports them (OpenAI and Gemini count cache reads in them, Anthropic and Bedrock do not). */
  readonly inputTokens: number;
  /** Completion tokens, reasoning included. */
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** The model the request named (after a rewrite), else the answer's; absent when neither did. */
  readonly model?: string;
}

/** One number of a policy's state, exported as `keyless_policy_state{policy,reading,route}`. */
export interface PolicyReading {
  /** e.g. `requests_last_minute`, `effective_tokens_remaining`. */
  readonly reading: string;
  /** Route the reading belongs to; absent for process-wide state. */
  readonly route?: string;
  readonly value: number;
}

/** A policy's state for `/readyz` (`summary`) and metrics (`readings`). */
export interface PolicyState {
  readonly summary: Readonly<Record<string, unknown>>;
  readonly readings: readonly PolicyReading[];
}

/** A live policy. Both hooks are synchronous: a policy never delays a request on I/O. */
export interface Policy {
  readonly name: string;
  /** Before the credential is attached: nothing, a refusal, or another model. */
  check?(request: PolicyRequest): PolicyVerdict | undefined;
  /** The usage of an answer that reached the client. */
  onUsage?(usage: Usage): void;
  state(): PolicyState;
}
