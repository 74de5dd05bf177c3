import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The settings every package's tests share: real network access beyond loopback fails the test. */
export default defineConfig({
  test: {
    setupFiles: [fileURLToPath(new URL('./vitest.no-network.ts', import.meta.url))],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'] },
    testTimeout: 20_000,
    restoreMocks: true,
  },
});
