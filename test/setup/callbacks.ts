/**
 * A real HTTP receiver for job callbacks on loopback (see callbacks-config.ts for its protocol). Inboxes are
 * named by the tests, so concurrent test runs can share one receiver: if the port is already served by
 * this receiver (another run on this machine), that one is used.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CALLBACK_ORIGIN, CALLBACK_PORT, CALLBACK_SERVER_IDENTITY, type ReceivedCallback } from './callbacks-config';

export function startCallbackReceiver(port = CALLBACK_PORT): Promise<{ port: number; close(): Promise<void> }> {
  const inboxes = new Map<string, ReceivedCallback[]>();
  const server = createServer((req, res) => void handle(req, res).catch((e) => {
    res.statusCode = 500;
    res.end(String(e));
  }));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/__health') return json(res, 200, { server: CALLBACK_SERVER_IDENTITY });
    if (req.method === 'GET' && url.pathname.startsWith('/__inbox/')) {
      return json(res, 200, inboxes.get(decodeURIComponent(url.pathname.slice(9))) ?? []);
    }
    if (!url.pathname.startsWith('/hook/')) return json(res, 404, { error: 'not found' });
    const inbox = decodeURIComponent(url.pathname.slice(6));
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    const list = inboxes.get(inbox) ?? [];
    inboxes.set(inbox, list);
    const q = url.searchParams;
    const fail = Number(q.get('fail') ?? 0);
    const status = list.length < fail ? 503 : Number(q.get('status') ?? 200);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    list.push({ at: Date.now(), method: req.method ?? '', path: url.pathname + url.search, headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
    const delay = Number(q.get('delay_ms') ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (q.get('retry_after')) res.setHeader('retry-after', q.get('retry_after')!);
    if (status >= 300 && status < 400) res.setHeader('location', `${CALLBACK_ORIGIN}/hook/${encodeURIComponent(inbox)}-redirected`);
    json(res, status, { received: true });
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export default async function setup(): Promise<() => Promise<void>> {
  try {
    const server = await startCallbackReceiver();
    return () => server.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const health = await fetch(`${CALLBACK_ORIGIN}/__health`).then((r) => r.json()).catch(() => null) as { server?: string } | null;
    if (health?.server !== CALLBACK_SERVER_IDENTITY) throw new Error(`port ${CALLBACK_PORT} is taken by something other than the callback receiver`);
    return async () => {};
  }
}
