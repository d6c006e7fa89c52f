export { azurePlugin, createAzurePlugin } from './azure-plugin.ts';
export type { AzurePluginDeps } from './azure-plugin.ts';
export type { AzureConfig } from './azure-config.ts';
