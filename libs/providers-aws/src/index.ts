export { awsPlugin, createAwsPlugin } from './aws-plugin.ts';
export type { AwsPluginDeps } from './aws-plugin.ts';
export type { AwsConfig } from './aws-config.ts';
