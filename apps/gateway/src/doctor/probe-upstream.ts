import { request, type Dispatcher } from 'undici';
import type { OutgoingRequest, Redactor } from '@keyless/auth-core';
import type { FlavorName } from '../config/flavors.ts';
import type { RouteConfig } from '../config/gateway-config.ts';
import type { DoctorStep } from './doctor-report.ts';

/**
 * The cheapest authorized call per wire flavor, below the route's base path:
 * a model list where the API has one, else the base path itself (the
 * upstream checks the credential before it routes).
 */
export const PROBE_PATHS: Readonly<Record<FlavorName, string>> = {
  openai: '/models',
  azure: '/models?api-version=2024-10-21',
  anthropic: '/v1/models',
  google: '/v1beta/models',
  bedrock: '/',
};

/** Bound of the probe, ms. */
export const DEFAULT_PROBE_TIMEOUT_MS = 15_000;

/** Bytes of the answer read to judge it (the rest is discarded). */
const PREFIX_BYTES = 4096;

/** Options of `probeUpstream`. */
export interface ProbeOptions {
  /** Attaches the route's credential (static header, bearer token or signature). */
  readonly attach: (request: OutgoingRequest) => void | Promise<void>;
  readonly dispatcher: Dispatcher;
  readonly redactor: Pick<Redactor, 'describe'>;
  readonly timeoutMs?: number;
  /** Clock, ms epoch. */
  readonly now?: () => number;
}

/**
 * One GET with the route's credential to its upstream (`keyless doctor
 * --probe`). Passes unless the upstream refuses the credential (401, 403, or
 * what the flavor treats as a rejection) or cannot be reached.
 */
export async function probeUpstream(
  route: RouteConfig,
  options: ProbeOptions,
): Promise<DoctorStep> {
  const now = options.now ?? Date.now;
  const path = `${route.upstream.basePath.replace(/\/+$/, '')}${PROBE_PATHS[route.flavor.name]}`;
  const outgoing: OutgoingRequest = {
    method: 'GET',
    origin: route.upstream.origin,
    path,
    headers: {
      ...route.flavor.defaultHeaders,
      accept: 'application/json',
      'user-agent': 'keyless-doctor',
    },
    body: new Uint8Array(0),
  };
  const startedAt = now();
  try {
    await options.attach(outgoing);
    const answer = await request(`${outgoing.origin}${outgoing.path}`, {
      method: 'GET',
      headers: outgoing.headers,
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
    });
    const prefix = await readPrefix(answer.body);
    const durationMs = now() - startedAt;
    const status = answer.statusCode;
    if (
      status === 401 ||
      status === 403 ||
      route.flavor.rejectsCredential(status, answer.headers, prefix)
    ) {
      return {
        name: 'probe',
        status: 'fail',
        durationMs,
        detail: `GET ${path} answered HTTP ${status}: the upstream refused the credential`,
        code: 'KEYLESS_ERR_PROBE_REFUSED',
        fix: `give the identity access to ${route.upstream.origin} (role assignment, IAM permission or key scope), and check that the route's upstream is the one the credential is for`,
      };
    }
    return {
      name: 'probe',
      status: 'ok',
      durationMs,
      detail: `GET ${path} answered HTTP ${status}: credential accepted`,
    };
  } catch (error) {
    return {
      name: 'probe',
      status: 'fail',
      durationMs: now() - startedAt,
      detail: `cannot reach ${route.upstream.origin}: ${options.redactor.describe(error)}`,
      code: 'KEYLESS_ERR_PROBE_UNREACHABLE',
      fix: 'check the upstream URL and egress to it (HTTPS_PROXY / NO_PROXY, NODE_EXTRA_CA_CERTS)',
    };
  }
}

async function readPrefix(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= PREFIX_BYTES) break;
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, PREFIX_BYTES).toString('utf8');
}
