import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Resident set size of process `pid`, bytes: /proc on Linux, `ps` elsewhere. */
export async function readRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through to ps
  }
  const { stdout } = await run('ps', ['-o', 'rss=', '-p', String(pid)]);
  return Number(stdout.trim()) * 1024;
}

/** Samples a process's RSS while a phase runs and keeps the peak. */
export class RssSampler {
  readonly #pid: number;
  #peak = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(pid: number) {
    this.#pid = pid;
  }

  /** Peak RSS seen, bytes. */
  get peak(): number {
    return this.#peak;
  }

  /** Starts sampling every `intervalMs`. */
  start(intervalMs = 200): void {
    this.#timer ??= setInterval(() => {
      this.#inFlight = this.sample();
    }, intervalMs);
  }

  /** Takes one sample now. */
  async sample(): Promise<void> {
    try {
      this.#peak = Math.max(this.#peak, await readRss(this.#pid));
    } catch {
      // the process is gone; the peak so far stands
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    await this.sample();
  }
}
