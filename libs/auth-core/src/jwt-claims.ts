import { decodeJwt } from 'jose';

/** A JWT's payload, decoded without verifying the signature (the token's audience does that). */
export interface JwtClaims {
  /** The decoded payload, unverified. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** From `exp`, ms epoch; undefined when the token has no numeric `exp`. */
  readonly expiresAt: number | undefined;
}

/**
 * Decodes a compact JWS (three dot-separated parts). Throws jose's `JWTInvalid`
 * when it is not one; the message never contains the token.
 */
export function readJwtClaims(token: string): JwtClaims {
  const claims = Object.freeze(decodeJwt(token)) as Readonly<Record<string, unknown>>;
  const exp = claims['exp'];
  const expiresAt = typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  return { claims, expiresAt };
}

/**
 * The claims of a presented GitHub token that a cloud-side fix names (issuer,
 * subject, audience, repository): none is a secret. A multi-valued `aud` is
 * joined with commas. Never throws: a token that is absent or not a JWT
 * yields no claims, and the fix falls back to a placeholder.
 */
export interface PresentedClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string;
  readonly repository?: string;
}

/** Reads the PresentedClaims of `token` (the GitHub token an exchange sent), without verifying it. */
export function presentedClaims(token: string | undefined): PresentedClaims {
  if (!token) return {};
  let claims: Readonly<Record<string, unknown>>;
  try {
    ({ claims } = readJwtClaims(token));
  } catch {
    return {};
  }
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  const audiences = Array.isArray(claims['aud']) ? claims['aud'].filter(text) : [claims['aud']];
  const picked = {
    iss: text(claims['iss']),
    sub: text(claims['sub']),
    aud: text(audiences.join(',')),
    repository: text(claims['repository']),
  };
  return Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined));
}
