export * from './harness/gateway-process.ts';
export * from './harness/canary.ts';
