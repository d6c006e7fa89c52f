import type { OutgoingRequest } from './plugin.ts';

/** Lifecycle state of a credential as reported by /readyz. */
export type CredentialState = 'ready' | 'acquiring' | 'refreshing' | 'failing';

/** A snapshot for /readyz and /health. */
export interface CredentialStatus {
  readonly state: CredentialState;
  /** Expiry of the credential being served, ms epoch; absent when none or never expiring. */
  readonly expiresAt?: number;
  /** Redacted message of the last failure, if the last attempt failed. */
  readonly lastError?: string;
}

/** Identifies the credential a request was sent with, so that a rejection renews that one only. */
export interface Attachment {
  /** Increases with every credential the source obtains. */
  readonly generation: number;
  /** When the attached credential was obtained, ms epoch. */
  readonly acquiredAt: number;
}

/**
 * What a route uses to authenticate its upstream requests: a static secret or
 * a federated credential kept fresh by the core.
 */
export interface RouteCredential {
  /** `static` or the provider plugin's name. */
  readonly provider: string;
  /** `static` or the auth type, e.g. `github-oidc`. */
  readonly auth: string;
  /** True when `attach` needs the exact body bytes. */
  readonly signsBody: boolean;
  /** True when a rejected credential can be renewed (never for static secrets). */
  readonly renewable: boolean;
  /**
   * Attaches a usable credential, waiting for one within the configured bound.
   * Throws CredentialUnavailableError when none arrives in time.
   */
  attach(request: OutgoingRequest): Promise<Attachment>;
  /**
   * The upstream rejected the credential of `attachment`: invalidate it (unless a
   * newer one exists) and resolve once a newer credential is usable. Concurrent
   * callers share one refresh.
   */
  renew(attachment: Attachment): Promise<void>;
  status(): CredentialStatus;
  /** Starts eager acquisition (called once the gateway is configured). */
  start(): void;
  /** Cancels timers and exchanges in flight. */
  close(): void;
}

/** A static secret sent in `header` (value already carries any scheme, e.g. `Bearer ...`). */
export function staticCredential(header: string, value: string): RouteCredential {
  const name = header.toLowerCase();
  const attachment: Attachment = { generation: 1, acquiredAt: Date.now() };
  return {
    provider: 'static',
    auth: 'static',
    signsBody: false,
    renewable: false,
    async attach(request) {
      request.headers[name] = value;
      return attachment;
    },
    async renew() {},
    status: () => ({ state: 'ready' }),
    start() {},
    close() {},
  };
}
