import type { CredentialStatus } from '@keyless/auth-core';

/** True when a request would get a credential now: ready, or still serving an unexpired one. */
export function isUsable(status: CredentialStatus, now = Date.now()): boolean {
  if (status.state === 'ready' || status.state === 'refreshing') return true;
  return status.expiresAt !== undefined && status.expiresAt > now;
}
