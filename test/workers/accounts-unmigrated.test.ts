/**
 * A D1 without the accounts schema (as after `npm start` on a fresh checkout with no key yet): the
 * answer says how to apply the migrations instead of failing obscurely. This file never migrates.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('accounts schema missing', () => {
  it('503 accounts-unavailable naming the command that applies the migrations', async () => {
    const res = await exports.default.fetch('http://x/v1/models', { headers: { authorization: `Bearer gmn_${'B'.repeat(43)}` } });
    expect(res.status).toBe(503);
    const body = await res.json<any>();
    expect(body.type).toBe('https://gmner.dev/problems/accounts-unavailable');
    expect(body.detail).toContain('npm run keys -- migrate');
  });
});
