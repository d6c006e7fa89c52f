import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where a result was measured. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  /** Total memory, bytes. */
  readonly memory: number;
  readonly os: string;
  readonly node: string;
  /** Commit of the checkout, with `+dirty` when the tree has changes. */
  readonly commit: string;
  /** ISO time of the run. */
  readonly at: string;
}

async function commit(): Promise<string> {
  try {
    const head = (await run('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim();
    const status = (
      await run('git', ['status', '--porcelain', '--untracked-files=no'])
    ).stdout.trim();
    return status ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** CPU, cores, memory, OS, Node and commit of this run. */
export async function machineInfo(): Promise<MachineInfo> {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: await commit(),
    at: new Date().toISOString(),
  };
}
