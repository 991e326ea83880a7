import { Hono } from 'hono';
const app = new Hono<{ Bindings: { IMAGES: ImagesBinding } }>();
app.get('/healthz', (c) => c.json({ ok: true }));
app.post('/img', async (c) => {
  const bytes = await c.req.arrayBuffer();
  const info = await c.env.IMAGES.info(new Blob([bytes]).stream());
  const out = await c.env.IMAGES.input(new Blob([bytes]).stream()).transform({ width: 16, height: 16, fit: 'scale-down' }).output({ format: 'image/png' });
  const png = await out.response().arrayBuffer();
  return c.json({ info, pngBytes: png.byteLength });
});
export default app;
