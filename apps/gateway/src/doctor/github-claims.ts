/** Claims of a GitHub OIDC token that identify the job; none of them is a secret. */
export const PUBLIC_GITHUB_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'repository',
  'ref',
  'environment',
  'job_workflow_ref',
] as const;

/** The PUBLIC_GITHUB_CLAIMS present in `claims` (decoded payload), in that order. */
export function publicGithubClaims(
  claims: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of PUBLIC_GITHUB_CLAIMS)
    if (claims[name] !== undefined) picked[name] = claims[name];
  return picked;
}
