import { it, expect } from 'vitest';
import { exports } from 'cloudflare:workers';
it('healthz', async () => {
  const r = await exports.default.fetch('http://x/healthz');
  expect(r.status).toBe(200);
});
it('images binding', async () => {
  // 1x1 png
  const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
  const r = await exports.default.fetch('http://x/img', { method: 'POST', body: png });
  console.log(r.status, await r.text());
});
