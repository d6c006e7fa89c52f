export * from './fake-acquire-context.ts';
export * from './scripted-acquire.ts';
export * from './test-plugin.ts';
