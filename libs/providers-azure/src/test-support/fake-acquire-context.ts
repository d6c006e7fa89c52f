import type { AcquireContext } from '@keyless/auth-core';
import { UnsecuredJWT } from 'jose';

/** An AcquireContext that records what the plugin did with it (tests only). */
export interface FakeAcquireContext extends AcquireContext {
  readonly audiences: string[];
  readonly secrets: string[];
  readonly hops: string[];
  /** The GitHub tokens handed out, in order. */
  readonly minted: string[];
  readonly controller: AbortController;
}

/** Claims of the fake GitHub token. */
export const GITHUB_CLAIMS = Object.freeze({
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
});

let serial = 0;

/** An unsigned GitHub-shaped OIDC token for `audience`, different on every call. */
export function fakeGithubToken(audience: string): string {
  return new UnsecuredJWT({ jti: `fake-${++serial}` })
    .setIssuer(GITHUB_CLAIMS.iss)
    .setSubject(GITHUB_CLAIMS.sub)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .encode();
}

/** A fake context whose mintIdToken returns an unsigned GitHub-shaped JWT for the audience. */
export function fakeAcquireContext(
  options: { mint?: (audience: string) => Promise<string> } = {},
): FakeAcquireContext {
  const audiences: string[] = [];
  const secrets: string[] = [];
  const hops: string[] = [];
  const minted: string[] = [];
  const controller = new AbortController();
  return {
    audiences,
    secrets,
    hops,
    minted,
    controller,
    signal: controller.signal,
    async mintIdToken(audience) {
      audiences.push(audience);
      const token = options.mint ? await options.mint(audience) : fakeGithubToken(audience);
      minted.push(token);
      return token;
    },
    registerSecret(value) {
      secrets.push(value);
    },
    async hop(name, run) {
      hops.push(name);
      return run();
    },
  };
}
