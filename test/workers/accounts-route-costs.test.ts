/**
 * What a POST costs is declared by its route (RouteCost, gathered in POST_COSTS and read by the accounting
 * middleware before the route runs), keyed by the matched route's pattern: a new POST route that declares
 * nothing, or a declaration left behind by a renamed route, fails here; a path the router matches loosely
 * (a trailing slash) is billed as its route declares.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOOKS_PREFIX } from '../../functions/api/jobs';
import { POST_COSTS, createApp } from '../../functions/api/app';
import type { ApiKeyMeter } from '../../functions/api/accounts/meter';
import { issueKey, llmEnv, migrate, post, recognizeBody, usageRows } from '../support/accounts';

const app = createApp();
const METER = (env as unknown as { METER: DurableObjectNamespace<ApiKeyMeter> }).METER;

beforeAll(migrate);

describe('route costs', () => {
  it('every POST route behind the Bearer key declares what it costs', () => {
    const posts = [...new Set(app.routes.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/') && !r.path.startsWith(HOOKS_PREFIX)).map((r) => r.path))];
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const path of posts) expect(POST_COSTS[path], `POST ${path} declares no cost (accounts/metering.ts, RouteCost)`).toBeDefined();
    // No declaration names a route that does not exist (a renamed route would leave its cost behind).
    for (const path of Object.keys(POST_COSTS)) expect(posts).toContain(path);
  });

  it('POST /v1/recognize/ (trailing slash, same route) is billed like /v1/recognize', async () => {
    const k = await issueKey({ name: 'trailing-slash' });
    const ok = await app.request('/v1/recognize/', post(await recognizeBody(), k.auth), llmEnv().env);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const rows = await usageRows(k.id);
    expect(rows.map((r) => r.units)).toEqual([1]);
    const m = await METER.get(METER.idFromName(k.id)).usedThisMonth();
    expect({ used: m.used, reserved: m.reserved }).toEqual({ used: 1, reserved: 0 });
  });
});
