export { anthropicPlugin, createAnthropicPlugin } from './anthropic-plugin.ts';
export type { AnthropicPluginDeps } from './anthropic-plugin.ts';
export type { AnthropicConfig } from './anthropic-config.ts';
