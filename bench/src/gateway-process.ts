import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startNodeChild, type NodeChild } from './node-child.ts';

/** The shipped entry point, run as `node main.ts serve` like in production. */
export const GATEWAY_ENTRY = fileURLToPath(
  new URL('../../apps/gateway/src/main.ts', import.meta.url),
);

/**
 * The node flags of the image's CMD (the Dockerfile): the gateway is measured
 * as it runs in the sidecar, whose heap ceiling fits the 512 MiB container.
 */
export const IMAGE_NODE_FLAGS = ['--max-old-space-size=256'] as const;

const PORT_VARIABLES = [
  'KEYLESS_OPENAI_PORT',
  'KEYLESS_ANTHROPIC_PORT',
  'KEYLESS_COPILOT_PORT',
  'KEYLESS_GEMINI_PORT',
  'KEYLESS_VERTEX_PORT',
  'KEYLESS_BEDROCK_PORT',
  'KEYLESS_MANAGEMENT_PORT',
] as const;

/** What the gateway logs once it listens. */
export interface GatewayListening {
  /** Route name -> base URL of its listener. */
  readonly urls: Readonly<Record<string, string>>;
  readonly managementUrl: string;
}

export interface GatewayOptions {
  /** Route and auth variables; ports are added. */
  readonly env: Record<string, string>;
  /** Entry point; default the gateway of this checkout. */
  readonly entry?: string;
  /** Added to IMAGE_NODE_FLAGS. */
  readonly nodeFlags?: readonly string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts the gateway as a real process with only `env` (plus PATH and HOME and
 * free ports), so that the developer's own keys and proxies never leak in.
 */
export async function startGateway(options: GatewayOptions): Promise<NodeChild<GatewayListening>> {
  const ports: Record<string, string> = {};
  for (const variable of PORT_VARIABLES) ports[variable] = String(await freePort());
  return startNodeChild<GatewayListening>({
    entry: options.entry ?? GATEWAY_ENTRY,
    args: ['serve'],
    nodeFlags: [...IMAGE_NODE_FLAGS, ...(options.nodeFlags ?? [])],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...ports,
      ...options.env,
    },
    readyWhen: (line) =>
      line.event === 'gateway.listening' ? (line as unknown as GatewayListening) : undefined,
  });
}
