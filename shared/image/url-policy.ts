/**
 * Which image URLs the API will fetch. A Worker cannot resolve DNS itself, so the checks are on the
 * URL: https only, no IP-literal hosts in any spelling (that also covers every private, loopback,
 * link-local and reserved range), no names that only mean something locally. Production Workers
 * cannot reach private networks through fetch anyway; this keeps the API from being a probe for
 * whatever sits next to wherever else it runs (wrangler dev, another host).
 */
import { ProblemError } from '../problems';

/** Name suffixes that never resolve publicly (RFC 6761, 6762, 8375 and common private use). */
const LOCAL_SUFFIXES = ['local', 'internal', 'home.arpa', 'localdomain', 'lan'];

const V4_RANGES: Array<[base: string, bits: number, what: string]> = [
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF-reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

/**
 * An IPv4 host in any form a URL parser accepts (WHATWG: 1-4 parts, each decimal, 0-octal or
 * 0x-hex; the last part fills the remaining bytes), as a 32-bit number; null if not IPv4.
 * workerd's URL parser already canonicalises these; parsing again keeps the check independent of it.
 */
export function parseIPv4(host: string): number | null {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  return nums.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + last;
}

const v4 = (s: string) => parseIPv4(s)!;

function describeIPv4(ip: number): string | undefined {
  for (const [base, bits, what] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (Math.floor(ip / size) === Math.floor(v4(base) / size)) return what;
  }
  return undefined;
}

function describeIPv6(host: string): string | undefined {
  const h = host.toLowerCase();
  if (h === '::1') return 'a loopback address';
  if (h === '::') return 'the unspecified address';
  if (h.startsWith('::ffff:')) return 'an IPv4-mapped address';
  if (/^f[cd][0-9a-f]{0,2}:/.test(h)) return 'a unique-local (private) address';
  if (/^fe[89ab][0-9a-f]?:/.test(h)) return 'a link-local address';
  if (h.startsWith('ff')) return 'a multicast address';
  return undefined;
}

const refuse = (detail: string) => new ProblemError('image-url-refused', detail);

/** localhost, *.localhost, 127.0.0.0/8 in any IPv4 spelling, [::1]. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true;
  const ip = parseIPv4(host);
  return ip !== null && Math.floor(ip / 2 ** 24) === 127;
}

/**
 * The parsed URL if it may be fetched, else image-url-refused. `allowInsecure` (development only)
 * admits http: and loopback hosts (localhost, 127.0.0.0/8, ::1), nothing else.
 */
export function checkImageUrl(raw: string | URL, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(`"${String(raw).slice(0, 200)}" is not an absolute URL.`);
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw refuse(`Only https image URLs are accepted, not ${url.protocol.slice(0, -1)}.`);
  }
  if (url.username || url.password) throw refuse('Image URLs must not carry credentials.');
  const host = url.hostname.toLowerCase().replace(/\.+$/, '');
  // The development switch is for a local image server: plain http to a public host stays refused.
  if (url.protocol === 'http:' && !isLoopback(host)) {
    throw refuse(`Only https image URLs are accepted; http is allowed (ALLOW_INSECURE_IMAGE_URLS) for loopback hosts only, not ${host}.`);
  }
  if (host.startsWith('[')) {
    const ip = host.slice(1, -1);
    if (allowInsecure && ip === '::1') return url;
    const what = describeIPv6(ip);
    throw refuse(`IP-address hosts are refused (${host}${what ? ` is ${what}` : ''}); use the image's DNS name.`);
  }
  const ip = parseIPv4(host);
  if (ip !== null) {
    if (allowInsecure && Math.floor(ip / 2 ** 24) === 127) return url;
    const what = describeIPv4(ip);
    const dotted = [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256).join('.');
    throw refuse(`IP-address hosts are refused (${host}${dotted !== host ? ` = ${dotted}` : ''}${what ? `, ${what}` : ''}); use the image's DNS name.`);
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    if (allowInsecure) return url;
    throw refuse(`${host} is a loopback name; image URLs must name a public host.`);
  }
  const suffix = LOCAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix) throw refuse(`${host} is a local-only name (.${suffix}); image URLs must name a public host.`);
  if (!host.includes('.')) throw refuse(`${host} is a single-label name that only resolves locally; image URLs must name a public host.`);
  return url;
}
