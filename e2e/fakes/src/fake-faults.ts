/**
 * The ways a fake stack can be made to fail, each the way a real setup fails:
 * the cloud answers what it answers when the workflow or the cloud side is
 * configured wrong. `keyless fakes --fail <name>` and `startFakeStack({faults})`
 * take these names; `keyless doctor` turns each into a fix.
 */
export const FAKE_FAULTS = {
  'id-token-missing':
    'the job has no `permissions: id-token: write`: ACTIONS_ID_TOKEN_REQUEST_* are not set',
  'request-token-rejected': 'the GitHub token service rejects ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  aadsts70021: 'Entra: no federated credential matches (the classic AADSTS70021)',
  aadsts700213: "Entra: no federated credential matches the token's subject",
  aadsts700016: 'Entra: the client id names no application in the tenant',
  aadsts700024: 'Entra: the GitHub token is outside its validity window (clock skew)',
  aadsts90002: 'Entra: the tenant does not exist',
  'azure-scope-as-audience': 'the Azure route asks GitHub for the Entra scope as its audience',
  'gcp-audience': "GCP STS: invalid_grant, the token's audience is not allowed by the provider",
  'gcp-attribute-condition': "GCP STS: the provider's attribute condition rejects the token",
  'gcp-impersonation-denied':
    'GCP IAM: PERMISSION_DENIED, the principal may not impersonate the service account',
  'aws-invalid-identity-token':
    "AWS STS: InvalidIdentityToken, no OIDC provider for the token's issuer",
  'aws-access-denied':
    "AWS STS: AccessDenied, the role's trust policy does not match the token's sub",
  'anthropic-rule-mismatch':
    "Anthropic: invalid_grant, the federation rule does not match the token's claims",
  unreachable: 'the GCP STS endpoint is unreachable (connection refused)',
  'tls-untrusted': "Entra's TLS certificate is not trusted (NODE_EXTRA_CA_CERTS missing)",
  'proxy-refuses': 'all egress goes through an HTTPS_PROXY that refuses every connection',
} as const satisfies Record<string, string>;

/** Name of one fault of FAKE_FAULTS. */
export type FakeFault = keyof typeof FAKE_FAULTS;

/** Narrows a string to a FakeFault. */
export function isFakeFault(name: string): name is FakeFault {
  return Object.hasOwn(FAKE_FAULTS, name);
}
