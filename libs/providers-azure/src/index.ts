export * from './azure-plugin.ts';
export * from './azure-config.ts';
export * from './azure-config-warnings.ts';
export * from './azure-settings.ts';
export * from './entra-credential.ts';
export * from './errors.ts';
export * from './map-entra-error.ts';
export * from './wire-policy.ts';
