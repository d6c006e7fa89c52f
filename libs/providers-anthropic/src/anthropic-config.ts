import {
  configError,
  readSetting,
  requireSetting,
  type Environment,
  type Setting,
} from '@keyless/auth-core';
import {
  ANTHROPIC_AUDIENCE,
  ANTHROPIC_FEDERATION_RULE_ID,
  ANTHROPIC_ORGANIZATION_ID,
  ANTHROPIC_SERVICE_ACCOUNT_ID,
  ANTHROPIC_TOKEN_URL,
  ANTHROPIC_WORKSPACE_ID,
  DEFAULT_ANTHROPIC_AUDIENCE,
  DEFAULT_ANTHROPIC_TOKEN_URL,
} from './anthropic-settings.ts';

/** The validated, frozen configuration of one Anthropic workload identity. */
export interface AnthropicConfig {
  /** `fdrl_...` */
  readonly federationRuleId: string;
  /** Organization UUID, lower-case. */
  readonly organizationId: string;
  /** `svac_...` */
  readonly serviceAccountId: string;
  /** `wrkspc_...` or `default`; absent: the rule's sole workspace (never sent as ""). */
  readonly workspaceId?: string;
  /** Token endpoint, an absolute https URL (http only to loopback). */
  readonly tokenUrl: string;
  /** Audience of the GitHub OIDC token. */
  readonly audience: string;
}

// Anthropic's ids are tagged (`fdrl_`, `svac_`, `wrkspc_`): letters, digits, `_` and `-` only.
const TAGGED_ID = /^[A-Za-z0-9_-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIXES: ReadonlyArray<readonly [string, Setting]> = [
  ['fdrl_', ANTHROPIC_FEDERATION_RULE_ID],
  ['svac_', ANTHROPIC_SERVICE_ACCOUNT_ID],
  ['wrkspc_', ANTHROPIC_WORKSPACE_ID],
];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Validates the anthropic plugin's settings in `env` into a frozen config.
 * Throws a ConfigError that names the environment variable and its `engine.auth` key.
 */
export function parseAnthropicConfig(env: Environment): AnthropicConfig {
  const federationRuleId = taggedId(env, ANTHROPIC_FEDERATION_RULE_ID, 'fdrl_');
  const organizationId = requireSetting(env, ANTHROPIC_ORGANIZATION_ID);
  if (!UUID.test(organizationId)) {
    throw configError(
      ANTHROPIC_ORGANIZATION_ID,
      `must be the organization's UUID (Claude Console, organization settings); got "${organizationId}"`,
    );
  }
  const serviceAccountId = taggedId(env, ANTHROPIC_SERVICE_ACCOUNT_ID, 'svac_');
  const workspaceId = readSetting(env, ANTHROPIC_WORKSPACE_ID);
  if (workspaceId !== undefined && workspaceId !== 'default') {
    checkTagged(ANTHROPIC_WORKSPACE_ID, workspaceId, 'wrkspc_');
  }
  const tokenUrl = parseTokenUrl(readSetting(env, ANTHROPIC_TOKEN_URL));
  const audience = readSetting(env, ANTHROPIC_AUDIENCE) ?? DEFAULT_ANTHROPIC_AUDIENCE;
  if (/\s/.test(audience)) {
    throw configError(ANTHROPIC_AUDIENCE, `must be a single audience; got "${audience}"`);
  }
  return Object.freeze({
    federationRuleId,
    organizationId: organizationId.toLowerCase(),
    serviceAccountId,
    ...(workspaceId === undefined ? {} : { workspaceId }),
    tokenUrl,
    audience,
  });
}

function taggedId(env: Environment, setting: Setting, prefix: string): string {
  const value = requireSetting(env, setting);
  checkTagged(setting, value, prefix);
  return value;
}

/** A tagged id with the wrong tag is almost always a value pasted into the wrong setting: say which. */
function checkTagged(setting: Setting, value: string, prefix: string): void {
  if (!TAGGED_ID.test(value)) {
    throw configError(setting, `must be a tagged id such as ${prefix}...; got "${value}"`);
  }
  const other = PREFIXES.find(([tag, owner]) => owner !== setting && value.startsWith(tag));
  if (other) {
    throw configError(
      setting,
      `"${value}" is a ${other[0]}... id, which belongs in ${other[1].env}; expected ${prefix}...`,
    );
  }
  if (!value.startsWith(prefix)) {
    throw configError(setting, `must start with ${prefix}; got "${value}"`);
  }
}

/** https, or plain http to loopback only (the GitHub token must never cross a network in clear). */
function parseTokenUrl(value: string | undefined): string {
  if (value === undefined) return DEFAULT_ANTHROPIC_TOKEN_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(ANTHROPIC_TOKEN_URL, `must be an absolute URL; got "${value}"`);
  }
  const loopback = LOOPBACK.has(url.hostname.toLowerCase());
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw configError(
      ANTHROPIC_TOKEN_URL,
      `must use https (plain http only to localhost): the GitHub token travels in its body; got "${value}"`,
    );
  }
  if (url.username || url.password || url.hash) {
    throw configError(ANTHROPIC_TOKEN_URL, 'must not carry credentials or a fragment');
  }
  return url.href;
}
