import type { TokenKind } from './token-usage.ts';

/** What a JSON field of an answer holds. */
export type UsageField = TokenKind | 'model';

/** Where a JSON document of an answer reports its usage. */
export interface DocumentRules {
  /** Fields by path: object keys from the root joined by `.`, array levels left out. */
  readonly fields: ReadonlyMap<string, UsageField>;
  /** A base64 string field that holds a JSON document of its own (Bedrock invoke streams). */
  readonly nested?: { readonly path: string; readonly rules: DocumentRules };
}

/** The usage layout of one API's answers, whatever their framing (JSON, SSE, event stream, WebSocket). */
export interface WireShape {
  readonly name: string;
  readonly rules: DocumentRules;
  /** Answer headers carrying counts; when present they win over the body's. */
  readonly headers?: ReadonlyMap<string, TokenKind>;
}

const rules = (
  fields: Record<string, UsageField>,
  nested?: DocumentRules['nested'],
): DocumentRules => ({
  fields: new Map(Object.entries(fields)),
  ...(nested ? { nested } : {}),
});

/** `prefix.` before every key of `fields`. */
const under = (prefix: string, fields: Record<string, UsageField>) =>
  Object.fromEntries(Object.entries(fields).map(([path, field]) => [`${prefix}.${path}`, field]));

const CHAT_USAGE: Record<string, UsageField> = {
  'usage.prompt_tokens': 'input',
  'usage.completion_tokens': 'output',
  'usage.prompt_tokens_details.cached_tokens': 'cacheRead',
  model: 'model',
};

const RESPONSES_USAGE: Record<string, UsageField> = {
  'usage.input_tokens': 'input',
  'usage.output_tokens': 'output',
  'usage.input_tokens_details.cached_tokens': 'cacheRead',
  model: 'model',
};

const MESSAGES_USAGE: Record<string, UsageField> = {
  'usage.input_tokens': 'input',
  'usage.output_tokens': 'output',
  'usage.cache_read_input_tokens': 'cacheRead',
  'usage.cache_creation_input_tokens': 'cacheWrite',
  model: 'model',
};

/** Anthropic messages: a message object, or stream events (`message_start` nests it, `message_delta` carries cumulative usage). */
const MESSAGES_RULES = rules({ ...MESSAGES_USAGE, ...under('message', MESSAGES_USAGE) });

/** OpenAI chat completions, legacy completions and embeddings (JSON, or SSE chunks with `include_usage`). */
export const OPENAI_CHAT: WireShape = { name: 'openai-chat', rules: rules(CHAT_USAGE) };

/** OpenAI Responses: a response object, or events (`response.completed` and its kin nest it). */
export const OPENAI_RESPONSES: WireShape = {
  name: 'openai-responses',
  rules: rules({ ...RESPONSES_USAGE, ...under('response', RESPONSES_USAGE) }),
};

/** Anthropic messages, direct or through Vertex `rawPredict` / `streamRawPredict`. */
export const ANTHROPIC_MESSAGES: WireShape = { name: 'anthropic-messages', rules: MESSAGES_RULES };

/** Gemini and Vertex generateContent: JSON, a JSON array of chunks, or SSE chunks (each cumulative). */
export const GEMINI_GENERATE: WireShape = {
  name: 'gemini-generate',
  rules: rules({
    'usageMetadata.promptTokenCount': 'input',
    'usageMetadata.toolUsePromptTokenCount': 'input',
    'usageMetadata.candidatesTokenCount': 'output',
    // Thinking tokens are billed as output.
    'usageMetadata.thoughtsTokenCount': 'output',
    'usageMetadata.cachedContentTokenCount': 'cacheRead',
    modelVersion: 'model',
  }),
};

/** Bedrock converse (JSON) and converse-stream (the `metadata` event). */
export const BEDROCK_CONVERSE: WireShape = {
  name: 'bedrock-converse',
  rules: rules({
    'usage.inputTokens': 'input',
    'usage.outputTokens': 'output',
    'usage.cacheReadInputTokens': 'cacheRead',
    'usage.cacheWriteInputTokens': 'cacheWrite',
  }),
};

const INVOCATION_METRICS = rules({
  ...MESSAGES_USAGE,
  ...under('message', MESSAGES_USAGE),
  'amazon-bedrock-invocationMetrics.inputTokenCount': 'input',
  'amazon-bedrock-invocationMetrics.outputTokenCount': 'output',
  'amazon-bedrock-invocationMetrics.cacheReadInputTokenCount': 'cacheRead',
  'amazon-bedrock-invocationMetrics.cacheWriteInputTokenCount': 'cacheWrite',
});

/**
 * Bedrock invoke: the model's native body (Anthropic messages, or Nova's
 * `usage.inputTokens`) with the counts also in headers; invoke-with-response-stream
 * wraps the native events as base64 `bytes`, the last one with invocation metrics.
 */
export const BEDROCK_INVOKE: WireShape = {
  name: 'bedrock-invoke',
  rules: rules(
    {
      ...MESSAGES_USAGE,
      'usage.inputTokens': 'input',
      'usage.outputTokens': 'output',
      'usage.cacheReadInputTokenCount': 'cacheRead',
      'usage.cacheWriteInputTokenCount': 'cacheWrite',
      prompt_token_count: 'input',
      generation_token_count: 'output',
    },
    { path: 'bytes', rules: INVOCATION_METRICS },
  ),
  headers: new Map<string, TokenKind>([
    ['x-amzn-bedrock-input-token-count', 'input'],
    ['x-amzn-bedrock-output-token-count', 'output'],
    ['x-amzn-bedrock-cache-read-input-token-count', 'cacheRead'],
    ['x-amzn-bedrock-cache-write-input-token-count', 'cacheWrite'],
  ]),
};

/** What identifies an answer's API. */
export interface AnswerRoute {
  /** The route's wire flavor: `openai`, `azure`, `anthropic`, `google` or `bedrock`. */
  readonly flavor: string;
  /** Upstream path (a query is ignored). */
  readonly path: string;
  readonly websocket: boolean;
}

/** The wire shape of a model call, or undefined for anything else (model lists, files, health). */
export function wireShapeFor({ flavor, path, websocket }: AnswerRoute): WireShape | undefined {
  const bare = path.split('?', 1)[0]!;
  const openAiCompatible = (): WireShape | undefined => {
    if (websocket || /\/responses$/.test(bare)) return OPENAI_RESPONSES;
    if (/\/(?:chat\/completions|completions|embeddings)$/.test(bare)) return OPENAI_CHAT;
    return undefined;
  };
  switch (flavor) {
    case 'openai':
    case 'azure':
      return openAiCompatible();
    case 'anthropic':
      if (/\/messages$/.test(bare)) return ANTHROPIC_MESSAGES;
      return websocket ? undefined : openAiCompatible();
    case 'google':
      if (/:(?:streamRawPredict|rawPredict)$/.test(bare)) return ANTHROPIC_MESSAGES;
      if (/:(?:streamGenerateContent|generateContent)$/.test(bare)) return GEMINI_GENERATE;
      return websocket ? undefined : openAiCompatible();
    case 'bedrock':
      if (/\/model\/[^/]+\/(?:converse|converse-stream)$/.test(bare)) return BEDROCK_CONVERSE;
      if (/\/model\/[^/]+\/(?:invoke|invoke-with-response-stream)$/.test(bare))
        return BEDROCK_INVOKE;
      return undefined;
    default:
      return undefined;
  }
}
