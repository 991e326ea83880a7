import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-plugin';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    projects: [
      {
        plugins: [cloudflareTest({
            main: './functions/api/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            // vitest's own runner imports node:* modules; the product bundle does not need this flag
            miniflare: { compatibilityFlags: ['nodejs_compat'] },
          })],
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        test: { name: 'node', include: ['test/node/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
    ],
  },
});
