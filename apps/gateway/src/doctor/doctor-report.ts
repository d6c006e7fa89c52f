/** Outcome of one check. `skip`: not run because an earlier step failed. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One step of a route's check: the configuration, one exchange hop, or the probe. */
export interface DoctorStep {
  /** `config`, a hop name (`github-oidc`, the plugin's hops) or `probe`. */
  readonly name: string;
  readonly status: CheckStatus;
  /** ms; absent for steps that make no call. */
  readonly durationMs?: number;
  /** What happened, one line, redacted. */
  readonly detail?: string;
  /** Stable error code (`KEYLESS_ERR_*`) of a failure. */
  readonly code?: string;
  /** What to change, one line. */
  readonly fix?: string;
}

/** Everything `keyless doctor` found out about one route. */
export interface RouteDiagnosis {
  readonly route: string;
  readonly port: number;
  /** Upstream origin and base path. */
  readonly upstream: string;
  /** e.g. `static (OPENAI_API_KEY)` or `github-oidc (azure)`. */
  readonly auth: string;
  /** Provider plugin name of a federated route. */
  readonly provider?: string;
  readonly ok: boolean;
  readonly steps: readonly DoctorStep[];
  /** The GitHub token's non-secret claims (iss, sub, aud, exp, repository, ...). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Seconds the credential stays valid, when an exchange succeeded. */
  readonly lifetimeSeconds?: number;
  /** Another route whose credential (and so exchange) this route shares. */
  readonly sharesCredentialWith?: string;
}

/** The whole result; `ok` is what the exit code says. */
export interface DoctorReport {
  readonly ok: boolean;
  /** Set when the configuration could not be loaded: no route was checked. */
  readonly configError?: { readonly message: string; readonly fix?: string };
  /** Startup warnings of the configuration. */
  readonly warnings: readonly string[];
  readonly routes: readonly RouteDiagnosis[];
}

/** Exit codes of `keyless doctor`. */
export const DOCTOR_EXIT = Object.freeze({
  /** Every configured route passed. */
  ok: 0,
  /** At least one route failed a check. */
  routeFailed: 1,
  /** The configuration is invalid (same as `serve`): nothing was checked. */
  config: 2,
});
