/** Hop name of the STS token exchange (GitHub token -> federated access token). */
export const GCP_STS_HOP = 'gcp-sts';
/** Hop name of the IAM Credentials `generateAccessToken` call (impersonation). */
export const GCP_IAM_HOP = 'gcp-iam-credentials';

/** A network hop of the GCP exchange. */
export type GcpHop = typeof GCP_STS_HOP | typeof GCP_IAM_HOP;
