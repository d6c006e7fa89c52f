import {
  GITHUB_OIDC_HOP,
  type AcquireContext,
  type IdTokenMinter,
  type MintedIdToken,
  type PluginEgress,
  type Redactor,
} from '@keyless/auth-core';

/** One exchange hop as doctor saw it. */
export interface HopRecord {
  readonly name: string;
  /** ms */
  readonly durationMs: number;
  readonly ok: boolean;
}

/** An AcquireContext that records every hop and every GitHub token it minted. */
export interface RecordingContext {
  readonly context: AcquireContext;
  /** Hops in the order they finished. */
  readonly hops: readonly HopRecord[];
  /** The GitHub tokens minted, with their decoded claims (the tokens themselves are registered secrets). */
  readonly minted: readonly MintedIdToken[];
}

/** Options of `recordingContext`. */
export interface RecordingContextOptions {
  readonly minter: Pick<IdTokenMinter, 'mint'>;
  readonly redactor: Pick<Redactor, 'register' | 'remoteText'>;
  readonly egress: PluginEgress;
  readonly signal: AbortSignal;
  /** Clock, ms epoch; default Date.now. */
  readonly now?: () => number;
}

/**
 * The context `keyless doctor` hands to a plugin's `acquire`: the same seams
 * the credential engine gives it (minting, redaction, egress), with every hop
 * timed through the `hop` seam so that each can be shown with its result.
 */
export function recordingContext(options: RecordingContextOptions): RecordingContext {
  const { minter, redactor, signal } = options;
  const now = options.now ?? Date.now;
  const hops: HopRecord[] = [];
  const minted: MintedIdToken[] = [];

  async function hop<T>(name: string, run: () => Promise<T>): Promise<T> {
    const startedAt = now();
    let ok = false;
    try {
      const result = await run();
      ok = true;
      return result;
    } finally {
      hops.push({ name, durationMs: now() - startedAt, ok });
    }
  }

  const context: AcquireContext = {
    signal,
    egress: options.egress,
    registerSecret: (value) => redactor.register(value),
    remoteText: (value, maxChars) => redactor.remoteText(value, maxChars),
    hop,
    mintIdToken: (audience) =>
      hop(GITHUB_OIDC_HOP, async () => {
        const token = await minter.mint(audience, signal);
        minted.push(token);
        return token.token;
      }),
  };
  return { context, hops, minted };
}
