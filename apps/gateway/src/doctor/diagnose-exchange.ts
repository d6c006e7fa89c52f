import {
  ExchangeError,
  GITHUB_OIDC_HOP,
  IdTokenMinter,
  KeylessError,
  type PluginEgress,
  type Redactor,
} from '@keyless/auth-core';
import type { FederatedAuth } from '../config/gateway-config.ts';
import type { DoctorStep } from './doctor-report.ts';
import { publicGithubClaims } from './github-claims.ts';
import { recordingContext } from './recording-context.ts';

/** Bound of one route's whole exchange, ms: doctor must answer even when a hop hangs. */
export const DEFAULT_DOCTOR_EXCHANGE_TIMEOUT_MS = 30_000;

/** What one federated exchange showed. */
export interface ExchangeOutcome {
  readonly ok: boolean;
  /** One step per hop, then `credential` with the lifetime (or the failure). */
  readonly steps: readonly DoctorStep[];
  /** Non-secret claims of the GitHub token the plugin asked for. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** s */
  readonly lifetimeSeconds?: number;
  /** The credential, for the probe only; never printed. */
  readonly material?: unknown;
}

/** Shared by every exchange of one doctor run. */
export interface ExchangeDeps {
  readonly redactor: Redactor;
  /** The egress of the exchanges (proxy, NO_PROXY), as serve gives it. */
  readonly egress: PluginEgress;
  readonly timeoutMs?: number;
  /** Clock, ms epoch. */
  readonly now?: () => number;
  /** Mints the GitHub tokens; default an IdTokenMinter for the route's OIDC config over `egress`. */
  readonly minter?: Pick<IdTokenMinter, 'mint'>;
}

/** Aborts an exchange that outlived the bound. */
class ExchangeTimeout extends Error {}

/**
 * Performs the route's exchange once, exactly as serve would (same plugin,
 * same config, same GitHub minting), and reports every hop with its timing,
 * the GitHub token's claims, and the credential's lifetime or the failure
 * with its fix.
 */
export async function diagnoseExchange(
  auth: FederatedAuth,
  deps: ExchangeDeps,
): Promise<ExchangeOutcome> {
  const now = deps.now ?? Date.now;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_DOCTOR_EXCHANGE_TIMEOUT_MS;
  const minter =
    deps.minter ??
    new IdTokenMinter({
      config: auth.oidc,
      redactor: deps.redactor,
      dispatcher: deps.egress.dispatcher,
    });
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new ExchangeTimeout(`no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const recording = recordingContext({
    minter,
    redactor: deps.redactor,
    egress: deps.egress,
    signal: controller.signal,
    now,
  });
  let credential;
  let failure: unknown;
  try {
    credential = await auth.plugin.acquire(auth.config, recording.context);
    if (typeof credential.material === 'string') deps.redactor.register(credential.material);
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(timer);
  }

  const steps: DoctorStep[] = [];
  let mints = 0;
  for (const hop of recording.hops) {
    const token = hop.name === GITHUB_OIDC_HOP && hop.ok ? recording.minted[mints++] : undefined;
    const detail = token
      ? `token for aud ${String(token.claims['aud'])}, valid ${seconds(token.expiresAt - now())} s`
      : undefined;
    steps.push({
      name: hop.name,
      status: hop.ok ? 'ok' : 'fail',
      durationMs: hop.durationMs,
      ...(detail ? { detail } : {}),
    });
  }
  const first = recording.minted[0];
  const claims = first ? publicGithubClaims(first.claims) : undefined;

  if (failure !== undefined || credential === undefined) {
    const problem = describeFailure(failure, deps.redactor, timeoutMs);
    // The failed hop is the last one recorded as failed, else the one the error names.
    const index = steps.findLastIndex((step) => step.status === 'fail');
    if (index >= 0) steps[index] = { ...steps[index]!, ...problem };
    else steps.push({ name: problem.hop, status: 'fail', ...problem });
    return { ok: false, steps, ...(claims ? { claims } : {}) };
  }
  const lifetimeSeconds = seconds(credential.expiresAt - now());
  steps.push({
    name: 'credential',
    status: 'ok',
    detail: `valid ${lifetimeSeconds} s, until ${new Date(credential.expiresAt).toISOString()}`,
  });
  return {
    ok: true,
    steps,
    lifetimeSeconds,
    material: credential.material,
    ...(claims ? { claims } : {}),
  };
}

function describeFailure(
  error: unknown,
  redactor: Redactor,
  timeoutMs: number,
): { hop: string; detail: string; code?: string; fix: string } {
  const hop = error instanceof ExchangeError ? error.hop : 'exchange';
  const detail = redactor.describe(error);
  if (error instanceof ExchangeTimeout) {
    return {
      hop,
      detail,
      fix: `a hop did not answer within ${timeoutMs} ms: check the endpoint and egress (HTTPS_PROXY / NO_PROXY)`,
    };
  }
  if (error instanceof KeylessError) {
    return {
      hop,
      detail,
      code: error.code,
      fix: error.fix ?? 'no known fix: read the message above and the provider documentation',
    };
  }
  return { hop, detail, fix: 'unexpected failure: report it with this output' };
}

function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 1000));
}
