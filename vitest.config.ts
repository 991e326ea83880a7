import { defineConfig } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { freePort } from './test/setup/free-ports.ts';
import type { TestPorts } from './test/setup/ports.ts';

// D1 schema for the workerd tests: test/support/accounts.ts applies it to each file's isolated DB.
const d1Migrations = await readD1Migrations('./infra/migrations');

// This run's loopback servers (test/global-setup.ts starts them) on ports free right now, so two runs on
// one machine never collide; every module sees them as the constant __GMNER_TEST_PORTS__ (test/setup/ports.ts).
// The config is evaluated more than once per run (main process, workers); the first choice is kept in the env.
process.env.GMNER_TEST_PORTS ??= JSON.stringify({ llm: await freePort(), s3: await freePort(), callbacks: await freePort() } satisfies TestPorts);
const define = { __GMNER_TEST_PORTS__: process.env.GMNER_TEST_PORTS };

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    projects: [
      {
        plugins: [cloudflareTest({
            main: './functions/api/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            // vitest's own runner imports node:* modules; the product bundle does not need this flag
            miniflare: { compatibilityFlags: ['nodejs_compat'], bindings: { TEST_MIGRATIONS: d1Migrations } },
          })],
        define,
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        define,
        test: { name: 'node', include: ['test/node/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        // Debian's Chromium against wrangler dev (test/browser/demo.test.ts); skips where Chromium is missing.
        define,
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], environment: 'node', testTimeout: 120_000 },
      },
    ],
  },
});
