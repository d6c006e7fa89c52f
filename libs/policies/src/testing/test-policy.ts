import type { Setting } from '@keyless/auth-core';
import type { Policy, PolicyPlugin, PolicyRequest, Usage } from '../policy.ts';

const REFUSE_PATH: Setting = {
  env: 'KEYLESS_TEST_POLICY_REFUSE_PATH',
  description: 'Test only: refuse requests whose path contains this text',
};

/**
 * A test-only policy, the smallest complete example of the contract: on when
 * its one setting is set, refuses matching paths with `rate_limited` and a
 * Retry-After of 1 s, and counts the output tokens of answers.
 */
export const testPolicyPlugin: PolicyPlugin<{ readonly refusePath: string }> = {
  name: 'test-policy',
  settings: [REFUSE_PATH],
  parseConfig(env) {
    const refusePath = env[REFUSE_PATH.env]?.trim();
    return refusePath ? Object.freeze({ refusePath }) : undefined;
  },
  create(config): Policy {
    let outputTokens = 0;
    return {
      name: 'test-policy',
      check: (request: PolicyRequest) =>
        request.path.includes(config.refusePath)
          ? { refuse: 'rate_limited', message: `${REFUSE_PATH.env}: refused`, retryAfterSeconds: 1 }
          : undefined,
      onUsage: (usage: Usage) => {
        outputTokens += usage.outputTokens;
      },
      state: () => ({
        summary: { outputTokens },
        readings: [{ reading: 'output_tokens', value: outputTokens }],
      }),
    };
  },
};
