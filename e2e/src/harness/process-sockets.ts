import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state of a listening socket in /proc/net/tcp. */
const LISTEN = '0A';

/**
 * TCP sockets that process `pid` opened itself (to upstreams, token services,
 * ...) and has not closed yet, whatever their state: everything but its
 * listeners and the connections they accepted. Linux only (/proc). A socket
 * the process closed has no descriptor left and is not counted, even while the
 * kernel keeps it in TIME_WAIT.
 */
export function outboundSockets(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor closed while the folder was read.
    }
  }
  const rows = ['tcp', 'tcp6']
    .flatMap((table) => readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length > 9 && inodes.has(fields[9]!))
    .map((fields) => ({ localPort: fields[1]!.split(':')[1]!, state: fields[3]! }));
  const listening = new Set(rows.filter((row) => row.state === LISTEN).map((row) => row.localPort));
  return rows.filter((row) => row.state !== LISTEN && !listening.has(row.localPort)).length;
}

/** Peak resident set size of process `pid`, MiB (Linux). */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}
