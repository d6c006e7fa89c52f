import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** The api-proxy's file name inside AWF_TOKEN_LOG_DIR. */
export const TOKEN_USAGE_FILE = 'token-usage.jsonl';
/** Lines waiting for the disk at most; beyond, new lines are dropped (a stalled disk must not grow memory). */
export const MAX_PENDING_LINES = 1000;

/** What the log says about itself. */
export interface TokenUsageLogEvents {
  /** The first failure of a run of failures (full or read-only disk, missing folder). */
  failed(error: NodeJS.ErrnoException, file: string): void;
  /** Writing works again after failures. */
  recovered(file: string): void;
}

/**
 * The append-only `token-usage.jsonl`. Each line is handed to the kernel as
 * soon as the previous write returned (no user-space batching beyond the
 * lines that arrived meanwhile), so a killed process loses at most the lines
 * in flight. Appending never throws and never waits: a failing disk is
 * reported once per run of failures and its lines are dropped.
 */
export class TokenUsageLog {
  readonly #file: string;
  readonly #dir: string;
  readonly #events: TokenUsageLogEvents;
  #pending: string[] = [];
  #handle: FileHandle | undefined;
  #writing: Promise<void> | undefined;
  #failing = false;

  constructor(dir: string, events: TokenUsageLogEvents) {
    this.#dir = dir;
    this.#file = join(dir, TOKEN_USAGE_FILE);
    this.#events = events;
  }

  /** Queues one line (ending in a newline). */
  append(line: string): void {
    if (this.#pending.length >= MAX_PENDING_LINES) return;
    this.#pending.push(line);
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
    });
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    await this.#writing;
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const lines = this.#pending.join('');
      this.#pending = [];
      try {
        this.#handle ??= await this.#open();
        await this.#handle.write(lines);
        if (this.#failing) {
          this.#failing = false;
          this.#events.recovered(this.#file);
        }
      } catch (error) {
        // Reopen next time: the folder may come back, or space be freed.
        await this.#handle?.close().catch(() => {});
        this.#handle = undefined;
        if (!this.#failing) {
          this.#failing = true;
          this.#events.failed(error as NodeJS.ErrnoException, this.#file);
        }
      }
    }
  }

  async #open(): Promise<FileHandle> {
    await mkdir(this.#dir, { recursive: true });
    return open(this.#file, 'a', 0o644);
  }
}
