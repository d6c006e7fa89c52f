import {
  createEgressDispatcher,
  createPluginEgress,
  egressProxySecrets,
  Redactor,
  type OutgoingRequest,
} from '@keyless/auth-core';
import type { GatewayConfig, RouteConfig } from '../config/gateway-config.ts';
import { diagnoseExchange, type ExchangeOutcome } from './diagnose-exchange.ts';
import type { DoctorReport, DoctorStep, RouteDiagnosis } from './doctor-report.ts';
import { probeUpstream } from './probe-upstream.ts';

/** Options of `runDoctor`. */
export interface DoctorOptions {
  /** Also make one cheap authorized call to each route's upstream. */
  readonly probe?: boolean;
  /** Bound of each route's exchange, ms. */
  readonly exchangeTimeoutMs?: number;
  /** Bound of each probe, ms. */
  readonly probeTimeoutMs?: number;
}

/**
 * `keyless doctor` on a loaded configuration: for each configured route the
 * config check, every exchange hop (routes that share a credential share one
 * exchange, as in serve) and optionally the probe. The report is redacted
 * as a whole before it is returned: nothing in it can carry a secret.
 */
export async function runDoctor(
  config: GatewayConfig,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const redactor = new Redactor();
  for (const route of config.routes)
    if (route.auth.kind === 'static') redactor.register(route.auth.key);
  if (config.clientKey) redactor.register(config.clientKey);
  for (const secret of egressProxySecrets(config.egress)) redactor.register(secret);
  const dispatcher = createEgressDispatcher({
    proxy: config.egress,
    timeoutMs: config.upstreamTimeoutMs,
  });
  const egress = createPluginEgress(config.egress, dispatcher);

  const exchanges = new Map<string, { route: string; outcome: Promise<ExchangeOutcome> }>();
  const routes: RouteDiagnosis[] = [];
  try {
    for (const route of config.routes) {
      if (route.auth.kind === 'unconfigured') continue;
      const steps: DoctorStep[] = [configStep(route)];
      let ok = true;
      let extra: Partial<RouteDiagnosis> = {};
      let attach: ((request: OutgoingRequest) => void | Promise<void>) | undefined;
      if (route.auth.kind === 'static') {
        const { header, value } = route.auth;
        attach = (request) => void (request.headers[header] = value);
      } else {
        const auth = route.auth;
        const key = `${auth.plugin.name}\u0000${auth.plugin.credentialKey(auth.config)}`;
        const shared = exchanges.get(key);
        const exchange = shared ?? {
          route: route.name,
          outcome: diagnoseExchange(auth, {
            redactor,
            egress,
            ...(options.exchangeTimeoutMs === undefined
              ? {}
              : { timeoutMs: options.exchangeTimeoutMs }),
          }),
        };
        exchanges.set(key, exchange);
        const outcome = await exchange.outcome;
        steps.push(...outcome.steps);
        ok = outcome.ok;
        extra = {
          provider: auth.plugin.name,
          ...(outcome.claims ? { claims: outcome.claims } : {}),
          ...(outcome.lifetimeSeconds === undefined
            ? {}
            : { lifetimeSeconds: outcome.lifetimeSeconds }),
          ...(shared ? { sharesCredentialWith: shared.route } : {}),
        };
        if (outcome.ok) {
          attach = (request) =>
            auth.plugin.apply(outcome.material, request, auth.wireFormat ?? 'bearer');
        }
      }
      if (options.probe) {
        steps.push(
          attach
            ? await probeUpstream(route, {
                attach,
                dispatcher,
                redactor,
                ...(options.probeTimeoutMs === undefined
                  ? {}
                  : { timeoutMs: options.probeTimeoutMs }),
              })
            : { name: 'probe', status: 'skip', detail: 'no credential to probe with' },
        );
      }
      ok &&= steps.every((step) => step.status !== 'fail');
      routes.push({
        route: route.name,
        port: route.port,
        upstream: `${route.upstream.origin}${route.upstream.basePath}`,
        auth: authLabel(route),
        ok,
        steps,
        ...extra,
      });
    }
  } finally {
    await dispatcher.close();
  }

  const report: DoctorReport =
    routes.length === 0
      ? {
          ok: false,
          configError: {
            message: 'no route is configured',
            fix: 'set a provider key (e.g. OPENAI_API_KEY) or AWF_AUTH_TYPE=github-oidc with its provider settings',
          },
          warnings: config.warnings,
          routes,
        }
      : { ok: routes.every((route) => route.ok), warnings: config.warnings, routes };
  return JSON.parse(redactor.redact(JSON.stringify(report))) as DoctorReport;
}

/** The config step: valid (it loaded), with the plugin's doubts as a warning. */
function configStep(route: RouteConfig): DoctorStep {
  const warnings =
    route.auth.kind === 'federated'
      ? (route.auth.plugin.configWarnings?.(route.auth.config) ?? [])
      : [];
  return warnings.length > 0
    ? {
        name: 'config',
        status: 'warn',
        detail: warnings.join('; '),
      }
    : { name: 'config', status: 'ok' };
}

/** e.g. `static (OPENAI_API_KEY)` or `github-oidc (azure)`, as the startup table says. */
function authLabel(route: RouteConfig): string {
  const auth = route.auth;
  if (auth.kind === 'static') return `static (${auth.variable})`;
  if (auth.kind === 'federated') return `${auth.type} (${auth.plugin.name})`;
  return 'unconfigured';
}
