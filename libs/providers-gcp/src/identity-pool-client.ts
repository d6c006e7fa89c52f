import {
  IdentityPoolClient,
  type gaxios,
  type IdentityPoolClientOptions,
} from 'google-auth-library';
// Not re-exported by the package index; the same module the client itself uses.
import { StsCredentials } from 'google-auth-library/build/src/auth/stscredentials.js';

/** What an acquisition needs from the SDK client: one token and its expiry. */
export interface GcpTokenClient {
  getAccessToken(): Promise<{ token?: string | null }>;
  /** After `getAccessToken`: `expiry_date` in ms epoch (absent when STS sent no `expires_in`). */
  readonly credentials: { readonly expiry_date?: number | null };
}

/** The HTTP transports of the two hops. */
export interface GcpTransports {
  readonly sts: gaxios.Gaxios;
  readonly iam: gaxios.Gaxios;
}

/** Builds the SDK client of one acquisition (the seam unit tests replace). */
export type GcpClientFactory = (
  options: IdentityPoolClientOptions,
  transports: GcpTransports,
) => GcpTokenClient;

/**
 * An IdentityPoolClient whose STS exchange uses our transport too: the library
 * builds its StsCredentials with a private `new Gaxios()` that ignores the
 * client's `transporter`, so proxy, cancellation, timing and retry policy would
 * otherwise not apply to the STS hop. We replace it the way IdentityPoolClient
 * itself does for mTLS (`stsCredential` is protected, hence the subclass).
 */
class RoutedIdentityPoolClient extends IdentityPoolClient {
  constructor(options: IdentityPoolClientOptions, transports: GcpTransports) {
    // useAuthRequestParameters: false keeps the SDK's debug-log interceptors
    // (GOOGLE_SDK_NODE_LOGGING) off our transport: they print tokens unredacted.
    super({ ...options, transporter: transports.iam, useAuthRequestParameters: false });
    this.stsCredential = new StsCredentials({
      tokenExchangeEndpoint: this.getTokenUrl(),
      clientAuthentication: this.clientAuth,
      transporter: transports.sts,
    });
  }
}

/** The real factory: a new google-auth-library `IdentityPoolClient` per acquisition, so no SDK cache outlives it. */
export const createIdentityPoolClient: GcpClientFactory = (options, transports) =>
  new RoutedIdentityPoolClient(options, transports);
