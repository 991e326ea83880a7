/** URL policy and fetching through an injected fetch: no network involved. */
import { describe, expect, it } from 'vitest';
import { fetchImage, type FetchFn, type FetchLimits } from '../../shared/image/fetch';
import { checkImageUrl, parseIPv4 } from '../../shared/image/url-policy';
import type { ProblemError } from '../../shared/problems';
import { problemOf as failure, problemOfSync } from '../support/problem-of';

const LIMITS: FetchLimits = { maxBytes: 1000, timeoutMs: 2000, maxRedirects: 3, allowInsecureUrls: false };

function refusal(url: string, allowInsecure = false): ProblemError {
  const p = problemOfSync(() => checkImageUrl(url, allowInsecure), `${url} was accepted`);
  expect(p.kind).toBe('image-url-refused');
  return p;
}

describe('URL policy', () => {
  it('accepts https with a public name', () => {
    expect(checkImageUrl('https://images.example.com/a.jpg?x=1', false).host).toBe('images.example.com');
  });

  it.each([
    ['http://images.example.com/a.jpg', /Only https/],
    ['ftp://images.example.com/a.jpg', /Only https/],
    ['https://127.0.0.1/a.jpg', /127\.0\.0\.1.*loopback/],
    ['https://10.1.2.3/a.jpg', /private/],
    ['https://192.168.0.10/a.jpg', /private/],
    ['https://172.20.0.1/a.jpg', /private/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://100.64.0.1/', /carrier-grade/],
    ['https://8.8.8.8/a.jpg', /IP-address hosts are refused/], // public, but still an IP literal
    ['https://[::1]/a.jpg', /\[::1\] is a loopback/],
    ['https://[fd00::1]/a.jpg', /unique-local/],
    ['https://[fe80::1]/a.jpg', /link-local/],
    ['https://[::ffff:127.0.0.1]/a.jpg', /IPv4-mapped/],
    ['https://localhost/a.jpg', /loopback name/],
    ['https://img.localhost./a.jpg', /loopback name/],
    ['https://printer.local/a.jpg', /local-only/],
    ['https://metadata.google.internal/', /local-only/],
    ['https://intranet/a.jpg', /single-label/],
    ['https://2130706433/a.jpg', /127\.0\.0\.1/], // decimal 127.0.0.1
    ['https://0x7f000001/a.jpg', /127\.0\.0\.1/], // hex
    ['https://0177.0.0.1/a.jpg', /127\.0\.0\.1/], // octal first part
    ['https://0xA9.254.169.254/a.jpg', /link-local/], // mixed hex
    ['https://user:pw@images.example.com/a.jpg', /credentials/],
    ['not a url', /not an absolute URL/],
  ])('refuses %s', (url, detail) => {
    expect(refusal(url).message).toMatch(detail);
  });

  it('allowInsecureUrls admits http to loopback hosts only', () => {
    for (const u of ['http://127.0.0.1:8787/a', 'http://localhost:8787/a', 'http://img.localhost/a', 'http://[::1]:8787/a', 'http://2130706433/a', 'https://localhost/a']) {
      expect(() => checkImageUrl(u, true)).not.toThrow();
    }
    expect(refusal('http://images.example.com/a', true).message).toMatch(/loopback hosts only, not images\.example\.com/);
    expect(refusal('http://10.0.0.1/a', true).message).toMatch(/loopback hosts only/);
    expect(refusal('http://169.254.169.254/', true).message).toMatch(/loopback hosts only/);
    expect(refusal('https://169.254.169.254/', true).message).toMatch(/link-local/);
    expect(() => checkImageUrl('https://images.example.com/a', true)).not.toThrow();
  });

  it('parseIPv4 follows the WHATWG number forms', () => {
    expect(parseIPv4('2130706433')).toBe(0x7f000001);
    expect(parseIPv4('0x7f.1')).toBe(0x7f000001);
    expect(parseIPv4('127.1')).toBe(0x7f000001);
    expect(parseIPv4('0300.0250.1.1')).toBe(0xc0a80101);
    expect(parseIPv4('example.com')).toBeNull();
    expect(parseIPv4('256.1.1.1')).toBeNull();
  });
});

/** A fake origin: url -> response factory; records every URL asked for. */
function origin(routes: Record<string, () => Response | Promise<Response>>) {
  const asked: string[] = [];
  const inits: RequestInit[] = [];
  const fetchFn: FetchFn = async (url, init) => {
    asked.push(url);
    inits.push(init);
    const route = routes[url];
    return route ? route() : new Response('no route', { status: 404 });
  };
  return { fetchFn, asked, inits };
}

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
const redirect = (to: string, status = 302) => () => new Response(null, { status, headers: { location: to } });

describe('fetchImage', () => {
  it('returns the body and declared type, with redirect: manual', async () => {
    const o = origin({ 'https://a.example/x.png': () => new Response(bytes(10), { headers: { 'content-type': 'image/png' } }) });
    const got = await fetchImage('https://a.example/x.png', LIMITS, o.fetchFn);
    expect(got.bytes).toEqual(bytes(10));
    expect(got.media_type).toBe('image/png');
    expect(o.inits[0].redirect).toBe('manual');
  });

  it('follows up to 3 redirects, resolving relative Locations', async () => {
    const o = origin({
      'https://a.example/1': redirect('https://b.example/2', 301),
      'https://b.example/2': redirect('/3', 307),
      'https://b.example/3': redirect('https://c.example/4', 308),
      'https://c.example/4': () => new Response(bytes(5)),
    });
    const got = await fetchImage('https://a.example/1', LIMITS, o.fetchFn);
    expect(got.url).toBe('https://c.example/4');
    expect(o.asked).toEqual(['https://a.example/1', 'https://b.example/2', 'https://b.example/3', 'https://c.example/4']);
  });

  it('refuses a 4th redirect', async () => {
    const o = origin({
      'https://a.example/1': redirect('https://a.example/2'),
      'https://a.example/2': redirect('https://a.example/3'),
      'https://a.example/3': redirect('https://a.example/4'),
      'https://a.example/4': redirect('https://a.example/5'),
      'https://a.example/5': () => new Response(bytes(5)),
    });
    const p = await failure(fetchImage('https://a.example/1', LIMITS, o.fetchFn));
    expect(p.kind).toBe('image-fetch-failed');
    expect(p.message).toMatch(/more than 3 times/);
    expect(o.asked).toHaveLength(4);
  });

  it('re-checks every Location: a redirect to a private address is refused before it is fetched', async () => {
    const o = origin({ 'https://a.example/1': redirect('http://192.168.1.1/admin.jpg') });
    const p = await failure(fetchImage('https://a.example/1', LIMITS, o.fetchFn));
    expect(p.kind).toBe('image-url-refused');
    expect(p.message).toMatch(/redirected \(from a\.example\) to a refused URL/);
    const p2 = await failure(fetchImage('https://a.example/1', { ...LIMITS, allowInsecureUrls: true }, origin({ 'https://a.example/1': redirect('https://[fd00::5]/x') }).fetchFn));
    expect(p2.message).toMatch(/unique-local/);
    expect(o.asked).toEqual(['https://a.example/1']);
  });

  it("upstream non-2xx is image-fetch-failed naming host and status; the host's reason phrase stays in the cause", async () => {
    const o = origin({ 'https://a.example/x': () => new Response('gone', { status: 410, statusText: 'Gone to 10.0.0.7' }) });
    const p = await failure(fetchImage('https://a.example/x', LIMITS, o.fetchFn));
    expect([p.kind, p.status]).toEqual(['image-fetch-failed', 502]);
    expect(p.message).toBe('The image host a.example answered HTTP 410.');
    // The answer's status is ours (502); the host's is an extension.
    expect(p.toBody()).toMatchObject({ status: 502, upstream_status: 410 });
    expect(String((p.cause as Error).message)).toMatch(/410 Gone to 10\.0\.0\.7/);
  });

  it.each([
    ['Node: connect ECONNREFUSED', new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.3:443'), { code: 'ECONNREFUSED' }) }), 'the connection was refused'],
    ['Node: getaddrinfo ENOTFOUND', new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND a.example'), { code: 'ENOTFOUND' }) }), 'the host name did not resolve'],
    ['workerd: connection lost', new Error('Network connection lost.'), 'the connection failed or was lost'],
    ['workerd: internal error', new Error('internal error; reference = 9mjpijiuapqtcjk8q6evijr1'), 'the connection failed'],
    ['TLS', new Error('unable to verify the first certificate'), 'the TLS handshake failed'],
  ])('a network error (%s) is image-fetch-failed saying what failed; the raw text is only the cause', async (_, raw, words) => {
    const p = await failure(fetchImage('https://a.example/x', LIMITS, async () => { throw raw; }));
    expect(p.kind).toBe('image-fetch-failed');
    expect(p.message).toBe(`Could not fetch the image from a.example: ${words}.`);
    expect(p.message).not.toMatch(/10\.0\.0\.3|reference|ECONN|fetch failed|certificate/);
    expect(p.cause).toBe(raw);
  });

  it('Content-Length over the cap is refused before reading', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull(c) { pulled++; c.enqueue(bytes(100)); } });
    const o = origin({ 'https://a.example/x': () => new Response(body, { headers: { 'content-length': '5000' } }) });
    const p = await failure(fetchImage('https://a.example/x', LIMITS, o.fetchFn));
    expect([p.kind, p.status]).toEqual(['image-too-large', 413]);
    expect(p.message).toMatch(/5000 bytes \(Content-Length\)/);
    expect(pulled).toBeLessThanOrEqual(1); // at most the stream's own first pull, never read by us
  });

  it('the byte cap holds while streaming, whatever Content-Length says', async () => {
    let pulled = 0;
    let cancelled = false;
    // Claims 10 bytes, then would send 20 chunks of 300.
    const body = new ReadableStream<Uint8Array>({
      pull(c) { if (++pulled > 20) c.close(); else c.enqueue(bytes(300)); },
      cancel() { cancelled = true; },
    });
    const o = origin({ 'https://a.example/x': () => new Response(body, { headers: { 'content-length': '10' } }) });
    const p = await failure(fetchImage('https://a.example/x', LIMITS, o.fetchFn));
    expect(p.kind).toBe('image-too-large');
    expect(p.message).toMatch(/stopped reading at 1200 bytes/); // the 4th chunk passes 1000
    expect(pulled).toBeLessThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 0));
    expect(cancelled).toBe(true);
  });

  it('exactly maxBytes is accepted', async () => {
    const o = origin({ 'https://a.example/x': () => new Response(bytes(1000)) });
    expect((await fetchImage('https://a.example/x', LIMITS, o.fetchFn)).bytes.length).toBe(1000);
  });

  it('a host that never answers is image-fetch-timeout (even if fetch ignores the signal)', async () => {
    const t0 = Date.now();
    const p = await failure(fetchImage('https://slow.example/x', { ...LIMITS, timeoutMs: 100 }, () => new Promise<Response>(() => undefined)));
    expect([p.kind, p.status]).toEqual(['image-fetch-timeout', 504]);
    expect(p.message).toMatch(/slow\.example did not deliver the image within 100 ms/);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('a body that stalls after the headers also times out', async () => {
    const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes(10)); } }); // never closes
    const p = await failure(fetchImage('https://slow.example/x', { ...LIMITS, timeoutMs: 100 }, async () => new Response(body)));
    expect(p.kind).toBe('image-fetch-timeout');
  });

  it('a caller abort is passed through, not reported as a timeout', async () => {
    const ctl = new AbortController();
    const reason = new Error('request cancelled');
    const p = fetchImage('https://a.example/x', LIMITS, () => new Promise<Response>(() => undefined), ctl.signal);
    ctl.abort(reason);
    await expect(p).rejects.toBe(reason);
  });
});
