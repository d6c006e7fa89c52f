/**
 * What Keyless does with each `AWF_*` variable the api-proxy sidecar reads.
 * `supported`: Keyless implements it. `ignored`: harmless to drop (logging,
 * cost optimisations, inputs of refused guards); listed in the README.
 * `refused`: a guard or behaviour Keyless does not have; startup stops
 * rather than silently run without it.
 */
export type AwfTreatment = 'supported' | 'ignored' | 'refused';

/** One `AWF_*` variable of the api-proxy and what Keyless does with it. */
export interface AwfVariable {
  readonly env: string;
  readonly treatment: AwfTreatment;
  /** Where it is supported, why dropping it is harmless, or what to do instead. */
  readonly note: string;
  /** Key under `engine.auth` in the workflow frontmatter, when the compiler maps one to it. */
  readonly authKey?: string;
  /** Whether the value asks for the behaviour; default: any non-empty value. */
  active?(env: Readonly<Record<string, string | undefined>>): boolean;
}

const NOT_A_POLICY =
  'Not among the request policies Keyless enforces (rate-limit, model-policy, token-budget; docs/policies.md); unset it to run without it, or keep the api-proxy for this workflow';
const NO_BODY_REWRITE =
  'Keyless forwards request bodies unchanged (only AWF_MODEL_ALIASES rewrites the model)';
const RATE_LIMITS = 'Request policy rate-limit: 429 `rate_limited` with Retry-After, per route';
const MODEL_POLICY =
  'Request policy model-policy: 400 `model_not_allowed` naming the setting; body and path models';
const TOKEN_BUDGET =
  'Request policy token-budget: 429 `budget_exhausted` once the effective tokens are spent';

const row = (
  env: string,
  treatment: AwfTreatment,
  note: string,
  authKey?: string,
): AwfVariable => ({ env, treatment, note, ...(authKey ? { authKey } : {}) });

/** Every `AWF_*` variable the api-proxy sidecar reads (as forwarded by the firewall or baked into its image). */
export const AWF_VARIABLES: readonly AwfVariable[] = [
  // Federated identity: the common selection and the installed provider plugins read these.
  row('AWF_AUTH_TYPE', 'supported', 'Federated identity (see above)', 'type'),
  row('AWF_AUTH_PROVIDER', 'supported', 'Federated identity (see above)', 'provider'),
  row('AWF_AUTH_OIDC_AUDIENCE', 'supported', 'Federated identity (see above)', 'audience'),
  row('AWF_AUTH_AZURE_TENANT_ID', 'supported', 'Provider azure', 'azure-tenant-id'),
  row('AWF_AUTH_AZURE_CLIENT_ID', 'supported', 'Provider azure', 'azure-client-id'),
  row('AWF_AUTH_AZURE_SCOPE', 'supported', 'Provider azure', 'azure-scope'),
  row('AWF_AUTH_AZURE_CLOUD', 'supported', 'Provider azure', 'azure-cloud'),
  row('AWF_AUTH_AWS_ROLE_ARN', 'supported', 'Provider aws', 'aws-role-arn'),
  row('AWF_AUTH_AWS_REGION', 'supported', 'Provider aws', 'aws-region'),
  row('AWF_AUTH_AWS_ROLE_SESSION_NAME', 'supported', 'Provider aws', 'aws-role-session-name'),
  row(
    'AWF_AUTH_GCP_WORKLOAD_IDENTITY_PROVIDER',
    'supported',
    'Provider gcp',
    'workload-identity-provider',
  ),
  row('AWF_AUTH_GCP_SERVICE_ACCOUNT', 'supported', 'Provider gcp', 'service-account'),
  row('AWF_AUTH_GCP_SCOPE', 'supported', 'Provider gcp'),
  row(
    'AWF_AUTH_ANTHROPIC_FEDERATION_RULE_ID',
    'supported',
    'Provider anthropic',
    'federation-rule-id',
  ),
  row('AWF_AUTH_ANTHROPIC_ORGANIZATION_ID', 'supported', 'Provider anthropic', 'organization-id'),
  row(
    'AWF_AUTH_ANTHROPIC_SERVICE_ACCOUNT_ID',
    'supported',
    'Provider anthropic',
    'service-account-id',
  ),
  row('AWF_AUTH_ANTHROPIC_WORKSPACE_ID', 'supported', 'Provider anthropic', 'workspace-id'),
  row('AWF_AUTH_ANTHROPIC_TOKEN_URL', 'supported', 'Provider anthropic'),

  // Routes and the process.
  row(
    'AWF_OPENAI_AUTH_HEADER',
    'supported',
    'Header that carries OPENAI_API_KEY, raw and without `Bearer` (internal gateways)',
  ),
  row(
    'AWF_ANTHROPIC_AUTH_HEADER',
    'supported',
    'Header that carries ANTHROPIC_API_KEY, raw (internal gateways)',
  ),
  row(
    'AWF_BYOK_EXTRA_HEADERS',
    'supported',
    'JSON object of headers set on every request of the copilot route in BYOK mode (COPILOT_PROVIDER_BASE_URL); credential and hop-by-hop header names are a startup error',
  ),
  row(
    'AWF_PLATFORM_TYPE',
    'supported',
    '`ghes` (or a GHES GITHUB_SERVER_URL) sends COPILOT_GITHUB_TOKEN as `token <value>` to a custom Copilot target, as the api-proxy does',
  ),
  row(
    'AWF_API_PROXY_SHUTDOWN_TIMEOUT_MS',
    'supported',
    'Alias of KEYLESS_SHUTDOWN_GRACE_MS (which wins when both are set)',
  ),
  row(
    'AWF_VERSION',
    'supported',
    "Version shown by `keyless --version` and in the token usage records' `_schema` (baked into the image)",
  ),
  row(
    'AWF_TOKEN_LOG_DIR',
    'supported',
    'Folder of `token-usage.jsonl`, one api-proxy usage record per model call (off when unset; see docs/usage.md)',
  ),

  // Harmless to drop.
  row('AWF_DEBUG_TOKENS', 'ignored', 'Token diagnostics log of the api-proxy'),
  row(
    'AWF_REQUESTED_MODEL',
    'ignored',
    'The api-proxy only logs whether the model exists at startup',
  ),
  row(
    'AWF_AGENT_TIMEOUT_MINUTES',
    'ignored',
    'Feeds time-warning steering messages only; the firewall enforces the timeout itself',
  ),
  row(
    'AWF_AGENT_RUNTIME_START_FILE',
    'ignored',
    'File holding the agent start time for the AWF_AGENT_TIMEOUT_MINUTES steering messages; only used with it',
  ),
  row(
    'AWF_API_PROXY_LOG_DIR',
    'ignored',
    "Folder of the api-proxy's `models.json` (its model discovery); Keyless discovers no models and writes no such file",
  ),
  row(
    'AWF_ANTHROPIC_AUTO_CACHE',
    'ignored',
    `Prompt-cache breakpoints added to request bodies (a cost optimisation); ${NO_BODY_REWRITE}`,
  ),
  row('AWF_ANTHROPIC_CACHE_TAIL_TTL', 'ignored', 'Only used with AWF_ANTHROPIC_AUTO_CACHE'),
  row(
    'AWF_ANTHROPIC_STRIP_ANSI',
    'ignored',
    `Strips ANSI escapes from prompts (a cache optimisation); ${NO_BODY_REWRITE}`,
  ),
  row(
    'AWF_BYOK_EXTRA_BODY_FIELDS',
    'ignored',
    `Observability fields added to BYOK request bodies; ${NO_BODY_REWRITE}`,
  ),
  row(
    'AWF_PROVIDER_SESSION_ID',
    'ignored',
    `Session grouping at the BYOK provider; ${NO_BODY_REWRITE}; send \`x-session-id\` through AWF_BYOK_EXTRA_HEADERS if wanted`,
  ),
  row(
    'AWF_MODEL_FALLBACK',
    'ignored',
    'Picks another model the api-proxy discovered when an alias resolves to none; Keyless discovers no models and sends the model as asked (see docs/policies.md)',
  ),
  row(
    'AWF_CAPTURE_BLOCKED_LLM_REQUESTS',
    'ignored',
    'Captured bodies of requests a guard refused; Keyless logs each refusal (request log line with its code) and captures no bodies',
  ),
  row(
    'AWF_MAX_BLOCKED_CAPTURE_BYTES',
    'ignored',
    'Only used with AWF_CAPTURE_BLOCKED_LLM_REQUESTS',
  ),
  row(
    'AWF_DEFAULT_AI_CREDITS_PRICING',
    'ignored',
    'Prices for AWF_MAX_AI_CREDITS, which is refused',
  ),
  row(
    'AWF_API_PROXY_PROVIDERS',
    'ignored',
    'Model price overlays for the budgets, which are refused',
  ),

  // Request policies (@keyless/policies; docs/policies.md lists every difference from the api-proxy).
  row('AWF_RATE_LIMIT_ENABLED', 'supported', `${RATE_LIMITS}; \`false\` switches them off`),
  row('AWF_RATE_LIMIT_RPM', 'supported', RATE_LIMITS),
  row('AWF_RATE_LIMIT_RPH', 'supported', RATE_LIMITS),
  row(
    'AWF_RATE_LIMIT_BYTES_PM',
    'supported',
    `${RATE_LIMITS}; 413 \`payload_too_large\` for a body larger than the limit`,
  ),
  row('AWF_ALLOWED_MODELS', 'supported', MODEL_POLICY),
  row('AWF_DISALLOWED_MODELS', 'supported', MODEL_POLICY),
  row('AWF_MODEL_ALIASES', 'supported', `${MODEL_POLICY}; aliases rewrite body models only`),
  row('AWF_MAX_EFFECTIVE_TOKENS', 'supported', TOKEN_BUDGET),
  row(
    'AWF_EFFECTIVE_TOKEN_MODEL_MULTIPLIERS',
    'supported',
    'Per-model weights of AWF_MAX_EFFECTIVE_TOKENS (request policy token-budget)',
  ),
  row(
    'AWF_EFFECTIVE_TOKEN_DEFAULT_MODEL_MULTIPLIER',
    'supported',
    'Weight of other models in AWF_MAX_EFFECTIVE_TOKENS (request policy token-budget)',
  ),

  // Guards and policies: refused until Keyless enforces them.
  row(
    'AWF_FALLBACK_MODELS',
    'refused',
    'Keyless makes one upstream request per client request and never switches models or providers; unset it',
  ),
  {
    ...row(
      'AWF_ENABLE_OPENCODE',
      'refused',
      "The api-proxy's OpenCode port (10004, forwarding to the first configured of openai, anthropic, copilot) is not part of Keyless, and 10004 is the vertex route here; point OpenCode at the openai, anthropic or copilot route instead",
    ),
    active: (env) => env.AWF_ENABLE_OPENCODE?.trim().toLowerCase() === 'true',
  },
  row(
    'AWF_ROUTING_CONFIG',
    'refused',
    'Task-level model routing is not part of Keyless; unset it or keep the api-proxy for this workflow',
  ),
  row('AWF_MAX_AI_CREDITS', 'refused', NOT_A_POLICY),
  row('AWF_MAX_MODEL_MULTIPLIER', 'refused', NOT_A_POLICY),
  row('AWF_MAX_RUNS', 'refused', NOT_A_POLICY),
  row('AWF_MAX_PERMISSION_DENIED', 'refused', NOT_A_POLICY),
  row('AWF_MAX_CACHE_MISSES', 'refused', NOT_A_POLICY),
  row('AWF_ENABLE_TOKEN_STEERING', 'refused', NOT_A_POLICY),
  row('AWF_ANTHROPIC_DROP_TOOLS', 'refused', `${NOT_A_POLICY} (it removes tools from requests)`),
  row(
    'AWF_CLAUDE_HOSTED_WEB_POLICY',
    'refused',
    'An egress policy for hosted web tools that Keyless does not enforce; unset it or keep the api-proxy for this workflow',
  ),
  row(
    'AWF_CODEX_HOSTED_WEB_POLICY',
    'refused',
    'An egress policy for hosted web tools that Keyless does not enforce; unset it or keep the api-proxy for this workflow',
  ),
  row(
    'AWF_ANTHROPIC_TRANSFORM_FILE',
    'refused',
    'Keyless never loads code into the process that holds credentials; unset it',
  ),
];
