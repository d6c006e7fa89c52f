/** The kinds of tokens an answer reports. */
export const TOKEN_KINDS = ['input', 'output', 'cacheRead', 'cacheWrite'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/**
 * Token counts of one answer, as the upstream reported them: `input` is the
 * prompt count the wire shape reports (OpenAI and Gemini include cached
 * tokens in it, Anthropic and Bedrock do not), `cacheRead` / `cacheWrite` are
 * prompt-cache hits and writes, `output` includes reasoning tokens.
 */
export type TokenUsage = Readonly<Record<TokenKind, number>>;

/** A usage of zero tokens of every kind. */
export const NO_TOKENS: TokenUsage = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
});
