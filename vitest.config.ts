import { defineConfig } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';

// D1 schema for the workerd tests: test/support/accounts.ts applies it to each file's isolated DB.
const d1Migrations = await readD1Migrations('./infra/migrations');

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
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        test: { name: 'node', include: ['test/node/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
    ],
  },
});
