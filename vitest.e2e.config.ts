import { defineConfig } from 'vitest/config'

/** Real-browser journeys (Chromium via playwright-core); `npx vitest run -c vitest.e2e.config.ts`. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file launches its own Chromium and app; one at a time keeps CI machines calm.
    fileParallelism: false,
    reporters: ['default'],
  },
})
