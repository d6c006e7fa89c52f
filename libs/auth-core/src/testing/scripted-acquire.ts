import type { AcquiredCredential } from '../plugin.ts';

/** One pending exchange of a ScriptedAcquire, settled by the test. */
export interface PendingExchange<M> {
  readonly signal: AbortSignal;
  resolve(credential: AcquiredCredential<M>): void;
  reject(error: unknown): void;
}

/** An `acquire` function whose exchanges stay pending until the test settles them. Test-only. */
export interface ScriptedAcquire<M> {
  acquire(signal: AbortSignal): Promise<AcquiredCredential<M>>;
  /** Every exchange started so far, oldest first. */
  readonly calls: PendingExchange<M>[];
  /** The most recent exchange; throws when none started. */
  last(): PendingExchange<M>;
}

/** Creates a ScriptedAcquire: the engine's exchanges become values the test resolves or rejects. */
export function scriptedAcquire<M>(): ScriptedAcquire<M> {
  const calls: PendingExchange<M>[] = [];
  return {
    calls,
    acquire(signal) {
      return new Promise((resolve, reject) => {
        calls.push({ signal, resolve, reject });
      });
    },
    last() {
      const call = calls.at(-1);
      if (!call) throw new Error('no exchange has started');
      return call;
    },
  };
}
