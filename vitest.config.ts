import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration and browser tests start servers on free ports; two workers suit this 2-core machine.
    maxWorkers: 2,
    // s3rver mints ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through its
    // legacy provider; without it any listing longer than one page fails in the local stand-in.
    execArgv: ['--openssl-legacy-provider'],
    // Handlers log JSON and flush EMF metrics through Powertools; tests assert on behaviour, so keep their output
    // readable (the observability tests turn metrics back on where they capture them).
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
