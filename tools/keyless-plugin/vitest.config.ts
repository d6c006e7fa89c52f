import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The workspace test copies the repository and runs tsc, eslint and vitest in the copy.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
