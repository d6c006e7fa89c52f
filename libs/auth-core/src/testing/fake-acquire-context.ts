import { UnsecuredJWT } from 'jose';
import { getGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { createEgressDispatcher } from '../egress.ts';
import type { EgressProxy } from '../egress.ts';
import type { AcquireContext } from '../plugin.ts';
import { createPluginEgress } from '../plugin-egress.ts';
import { Redactor } from '../redaction.ts';

/** Claims of the fake GitHub token. */
export const FAKE_GITHUB_CLAIMS = Object.freeze({
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
});

let serial = 0;

/** An unsigned GitHub-shaped OIDC token for `audience`, different on every call. Test-only. */
export function fakeGithubToken(audience: string): string {
  return new UnsecuredJWT({ jti: `fake-${++serial}` })
    .setIssuer(FAKE_GITHUB_CLAIMS.iss)
    .setSubject(FAKE_GITHUB_CLAIMS.sub)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .encode();
}

/** Options of `fakeAcquireContext`. */
export interface FakeAcquireContextOptions {
  /** Replaces minting; default `fakeGithubToken(audience)`. */
  mint?: (audience: string) => Promise<string>;
  /** Egress proxy of the exchanges; default direct. */
  egress?: EgressProxy;
  /**
   * Dispatcher of fetch-based hops (e.g. a MockAgent); default a dispatcher
   * for `egress` when one is given (closed by `close`), else undici's global one.
   */
  dispatcher?: Dispatcher;
  /** Receives `mint <audience>`, `secret <value>` and `hop <name>` in call order; default a new array. */
  events?: string[];
}

/** An AcquireContext that records what the plugin did with it (tests only). */
export interface FakeAcquireContext extends AcquireContext {
  /** Audiences asked of `mintIdToken`, in order. */
  readonly audiences: string[];
  /** The GitHub tokens handed out, in order. */
  readonly minted: string[];
  /** Values given to `registerSecret`, in order. */
  readonly secrets: string[];
  /** Hop names, in the order they started. */
  readonly hops: string[];
  /** Every call, in order (see `FakeAcquireContextOptions.events`). */
  readonly events: string[];
  /** Aborts `signal`. */
  readonly controller: AbortController;
  /** Holds every registered secret; `remoteText` redacts with it. */
  readonly redactor: Redactor;
  /** Closes the dispatcher the fake created, if any. */
  close(): Promise<void>;
}

/**
 * The one fake AcquireContext of the plugin tests: a real `egress` (with the
 * given proxy), a real `remoteText` over the registered secrets, and recording
 * `mintIdToken`, `registerSecret` and `hop`.
 */
export function fakeAcquireContext(options: FakeAcquireContextOptions = {}): FakeAcquireContext {
  const audiences: string[] = [];
  const minted: string[] = [];
  const secrets: string[] = [];
  const hops: string[] = [];
  const events = options.events ?? [];
  const controller = new AbortController();
  const redactor = new Redactor();
  const owned =
    options.dispatcher === undefined && options.egress !== undefined
      ? createEgressDispatcher({ proxy: options.egress })
      : undefined;
  const dispatcher = options.dispatcher ?? owned ?? getGlobalDispatcher();
  return {
    audiences,
    minted,
    secrets,
    hops,
    events,
    controller,
    redactor,
    signal: controller.signal,
    egress: createPluginEgress(options.egress ?? {}, dispatcher),
    async mintIdToken(audience) {
      audiences.push(audience);
      events.push(`mint ${audience}`);
      const token = options.mint ? await options.mint(audience) : fakeGithubToken(audience);
      minted.push(token);
      return token;
    },
    registerSecret(value) {
      secrets.push(value);
      events.push(`secret ${value}`);
      redactor.register(value);
    },
    remoteText: (value, maxChars) => redactor.remoteText(value, maxChars),
    async hop(name, run) {
      hops.push(name);
      events.push(`hop ${name}`);
      return run();
    },
    async close() {
      await owned?.close();
    },
  };
}
