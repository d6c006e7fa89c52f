import type { RouteCredential } from '@keyless/auth-core';

/** A route as `/health` reports it; `credential` is absent when the route is not configured. */
export interface HealthRoute {
  readonly name: string;
  readonly credential?: RouteCredential;
}

/**
 * The api-proxy's `/health` body: 200 while the gateway serves, whatever the
 * credentials' state (the sidecar's start-up health check must pass while a
 * credential is still being acquired), with every route's state in the body.
 * `/readyz` on the management port is the strict readiness.
 */
export function routeHealth(route: string, routes: readonly HealthRoute[]) {
  const state = ({ name, credential }: HealthRoute) => ({
    route: name,
    configured: !!credential,
    ...(credential
      ? {
          provider: credential.provider,
          auth: credential.auth,
          credential: credential.status().state,
        }
      : {}),
  });
  const own = routes.find(({ name }) => name === route);
  return {
    status: 'healthy',
    service: 'keyless',
    ...(own ? state(own) : { route }),
    providers: Object.fromEntries(routes.map(({ name, credential }) => [name, !!credential])),
    routes: routes.map(state),
  };
}
