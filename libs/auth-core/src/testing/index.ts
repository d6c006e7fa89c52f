export * from './scripted-acquire.ts';
export * from './test-plugin.ts';
