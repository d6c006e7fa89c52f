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
