export { runCli } from './cli.ts';
export { PROVIDER_PLUGINS } from './plugins.ts';
