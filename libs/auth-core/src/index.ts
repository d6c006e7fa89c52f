export * from './errors.ts';
export * from './settings.ts';
export * from './plugin.ts';
export * from './route-credential.ts';
