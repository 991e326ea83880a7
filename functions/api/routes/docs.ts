/**
 * GET /docs: Scalar's reference page for /openapi.json, with Scalar's standalone bundle served as a
 * static asset from the pinned npm package (web/build.ts copies it to /docs/scalar.js), so the page
 * works with the network off. Everything Scalar would fetch from its own services is switched off:
 * the Inter fonts, telemetry, the request proxy, the AI agent.
 */
import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import type { AppEnv } from '../env';

/** The asset path; web/build.ts writes it (SCALAR_ASSET there). */
export const SCALAR_BUNDLE = '/docs/scalar.js';

export const docs = new Hono<AppEnv>();
docs.get('/docs', Scalar({
  url: '/openapi.json',
  pageTitle: 'GMNER edge API',
  cdn: SCALAR_BUNDLE,
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
} as Parameters<typeof Scalar>[0]));
