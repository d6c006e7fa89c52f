export { fakePolicyContext, policyRequest } from './fake-policy-context.ts';
export type { FakePolicyContext, LoggedEvent } from './fake-policy-context.ts';
export { describePolicyConformance } from './policy-conformance.ts';
export type { PolicyConformanceOptions } from './policy-conformance.ts';
export { testPolicyPlugin } from './test-policy.ts';
