import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The quick run starts real processes (upstream, raw proxy, three gateways).
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
