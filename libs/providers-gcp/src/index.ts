export { createGcpPlugin, gcpPlugin } from './gcp-plugin.ts';
export type { GcpPluginDeps } from './gcp-plugin.ts';
export type { GcpConfig } from './gcp-config.ts';
