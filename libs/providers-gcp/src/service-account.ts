import { configError } from '@keyless/auth-core';
import { GCP_SERVICE_ACCOUNT } from './gcp-settings.ts';

// Account ids and project ids: 6-30 chars, a lowercase letter first, no trailing hyphen.
const NAME = String.raw`[a-z][a-z0-9-]{4,28}[a-z0-9]`;
const PATTERNS = [
  // User-managed: NAME@PROJECT.iam.gserviceaccount.com; domain-scoped projects
  // (example.com:PROJECT) give NAME@PROJECT.example.com.iam.gserviceaccount.com.
  new RegExp(String.raw`^${NAME}@${NAME}(?:\.[a-z0-9-]+)*\.iam\.gserviceaccount\.com$`),
  // Google-created defaults that can be impersonated too.
  /^\d{1,20}-compute@developer\.gserviceaccount\.com$/,
  new RegExp(String.raw`^${NAME}@appspot\.gserviceaccount\.com$`),
];

/**
 * Validates `AWF_AUTH_GCP_SERVICE_ACCOUNT` strictly: the email becomes part of
 * the impersonation URL path, so anything but a service-account email is refused.
 */
export function parseServiceAccount(value: string): string {
  if (!PATTERNS.some((pattern) => pattern.test(value))) {
    throw configError(
      GCP_SERVICE_ACCOUNT,
      'must be a service account email such as NAME@PROJECT_ID.iam.gserviceaccount.com (lowercase)',
    );
  }
  return value;
}

/** The IAM Credentials `generateAccessToken` URL for `email` under `iamCredentialsUrl` (no trailing slash). */
export function impersonationUrl(iamCredentialsUrl: string, email: string): string {
  return `${iamCredentialsUrl}/v1/projects/-/serviceAccounts/${email}:generateAccessToken`;
}
