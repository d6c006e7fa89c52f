/** Errors the gateway itself answers with: code -> HTTP status. */
export const GATEWAY_ERRORS = {
  bad_request: 400,
  bad_request_target: 400,
  model_not_allowed: 400,
  unauthorized_client: 401,
  request_timeout: 408,
  payload_too_large: 413,
  rate_limited: 429,
  budget_exhausted: 429,
  headers_too_large: 431,
  upstream_unreachable: 502,
  credential_unavailable: 503,
  route_not_configured: 503,
  overloaded: 503,
  upstream_timeout: 504,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;
