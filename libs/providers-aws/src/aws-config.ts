import { configError, readSetting, requireSetting } from '@keyless/auth-core';
import type { Environment } from '@keyless/auth-core';
import {
  AUDIENCE_SETTING,
  AWS_REGION_SETTING,
  DEFAULT_AWS_AUDIENCE,
  DEFAULT_ROLE_SESSION_NAME_PREFIX,
  DEFAULT_SESSION_DURATION_SECONDS,
  MAX_SESSION_DURATION_SECONDS,
  MIN_SESSION_DURATION_SECONDS,
  REGION_SETTING,
  ROLE_ARN_SETTING,
  ROLE_SESSION_NAME_SETTING,
  SESSION_DURATION_SETTING,
  STS_ENDPOINT_SETTING,
} from './aws-settings.ts';

/** AWS partitions whose role ARNs the plugin accepts. */
export type AwsPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The validated, frozen configuration of the aws plugin. */
export interface AwsConfig {
  readonly roleArn: string;
  /** Partition of the role ARN; matches the region's. */
  readonly partition: AwsPartition;
  readonly region: string;
  readonly roleSessionName: string;
  /** Requested credential lifetime, seconds. */
  readonly durationSeconds: number;
  /** Audience of the GitHub OIDC token. */
  readonly audience: string;
  /** STS endpoint override; undefined means the SDK's regional endpoint. */
  readonly stsEndpoint: string | undefined;
}

// IAM: optional path (`/a/b/`) then a name of up to 64 characters of [\w+=,.@-].
const ROLE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
// Lower-case letters, digits and dashes only: the region becomes part of host names.
const REGION = /^[a-z]{2,5}(?:-[a-z]+){1,3}-\d{1,2}$/;
// STS: RoleSessionName is 2-64 characters of [\w+=,.@-].
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const SESSION_NAME_FORBIDDEN = /[^\w+=,.@-]/g;
const SESSION_NAME_MAX = 64;

/** The partition a region belongs to (China and GovCloud have their own). */
export function regionPartition(region: string): AwsPartition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function parseRegion(env: Environment): string {
  const own = readSetting(env, REGION_SETTING);
  const setting = own === undefined ? AWS_REGION_SETTING : REGION_SETTING;
  const region = own ?? readSetting(env, AWS_REGION_SETTING);
  if (region === undefined)
    throw configError(REGION_SETTING, `is required (or set ${AWS_REGION_SETTING.env})`);
  if (!REGION.test(region)) {
    throw configError(
      setting,
      `"${region}" is not an AWS region such as us-east-1, us-gov-west-1 or cn-north-1`,
    );
  }
  return region;
}

function parseRoleArn(roleArn: string, region: string): AwsPartition {
  const match = ROLE_ARN.exec(roleArn);
  if (!match) {
    throw configError(
      ROLE_ARN_SETTING,
      `"${roleArn}" is not an IAM role ARN such as arn:aws:iam::123456789012:role/my-role`,
    );
  }
  const partition = match[1] as AwsPartition;
  const expected = regionPartition(region);
  if (partition !== expected) {
    throw configError(
      ROLE_ARN_SETTING,
      `is in partition ${partition} but region ${region} is in partition ${expected}`,
    );
  }
  return partition;
}

/** `keyless-<run id>-<attempt>` inside Actions, `keyless` elsewhere; only STS-legal characters. */
function defaultRoleSessionName(env: Environment): string {
  const runId = env['GITHUB_RUN_ID']?.trim();
  const attempt = env['GITHUB_RUN_ATTEMPT']?.trim() || '1';
  const name = runId
    ? `${DEFAULT_ROLE_SESSION_NAME_PREFIX}-${runId}-${attempt}`
    : DEFAULT_ROLE_SESSION_NAME_PREFIX;
  return name.replace(SESSION_NAME_FORBIDDEN, '-').slice(0, SESSION_NAME_MAX);
}

function parseRoleSessionName(env: Environment): string {
  const name = readSetting(env, ROLE_SESSION_NAME_SETTING);
  if (name === undefined) return defaultRoleSessionName(env);
  if (!SESSION_NAME.test(name)) {
    throw configError(
      ROLE_SESSION_NAME_SETTING,
      'must be 2-64 characters of letters, digits and _+=,.@-',
    );
  }
  return name;
}

function parseDuration(env: Environment): number {
  const raw = readSetting(env, SESSION_DURATION_SETTING);
  if (raw === undefined) return DEFAULT_SESSION_DURATION_SECONDS;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds >= MIN_SESSION_DURATION_SECONDS && seconds <= MAX_SESSION_DURATION_SECONDS)) {
    throw configError(
      SESSION_DURATION_SETTING,
      `"${raw}" must be whole seconds between ${MIN_SESSION_DURATION_SECONDS} and ${MAX_SESSION_DURATION_SECONDS}`,
    );
  }
  return seconds;
}

function parseStsEndpoint(env: Environment): string | undefined {
  const raw = readSetting(env, STS_ENDPOINT_SETTING);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw configError(
      STS_ENDPOINT_SETTING,
      `"${raw}" must be an http(s) URL without query, e.g. https://sts.us-east-1.amazonaws.com`,
    );
  }
  return raw;
}

/**
 * Validates the aws plugin's environment once, at startup, into a frozen
 * config. Every ConfigError names the variable and its frontmatter key.
 */
export function parseAwsConfig(env: Environment): AwsConfig {
  const roleArn = requireSetting(env, ROLE_ARN_SETTING);
  const region = parseRegion(env);
  const partition = parseRoleArn(roleArn, region);
  return Object.freeze({
    roleArn,
    partition,
    region,
    roleSessionName: parseRoleSessionName(env),
    durationSeconds: parseDuration(env),
    audience: readSetting(env, AUDIENCE_SETTING) ?? DEFAULT_AWS_AUDIENCE,
    stsEndpoint: parseStsEndpoint(env),
  });
}
