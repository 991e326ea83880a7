/**
 * Standard Webhooks v1 (symmetric) with WebCrypto: `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`, keyed by the bytes of a `whsec_<base64>` secret. Signing for outbound
 * callbacks, verification (constant time, timestamp tolerance) for inbound webhooks. The tests check
 * both directions against the reference implementation (the `standardwebhooks` package).
 */
import { base64ToBytes, bytesToBase64 } from '../../../shared/base64';
import { ProblemError } from '../../../shared/problems';

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** The HMAC key of a `whsec_...` secret (the base64 after the prefix; a bare base64 secret also works). */
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = secret.startsWith('whsec_') ? secret.slice(6) : secret;
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(raw);
    } catch {
      throw new Error('webhook secret is not whsec_ followed by base64');
    }
    key = crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    if (keys.size > 1000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for `body`, sent at `at`. */
export async function signWebhook(secret: string, id: string, body: string, at: Date = new Date()): Promise<SignedHeaders> {
  if (id.includes('.')) throw new Error('webhook ids must not contain "."');
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(`${id}.${timestamp}.${body}`));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${bytesToBase64(mac)}` };
}

const refuse = (detail: string) => new ProblemError('webhook-signature', detail);

/**
 * Signatures accepted in one webhook-signature header: enough for a rotation (old and new secret, and a
 * spare), few enough that a header of many candidates cannot multiply the work.
 */
export const MAX_SIGNATURES = 5;

/**
 * Checks an inbound webhook: all three headers, a timestamp within `toleranceSeconds` of now, and a
 * `v1` signature (of any in the space-separated list) made with any of `secrets` (rotation). Returns the
 * webhook id; throws webhook-signature otherwise. `body` must be the raw body as received.
 */
export async function verifyWebhook(
  secrets: string[], headers: { get(name: string): string | null | undefined }, body: string, toleranceSeconds: number, now = Date.now(),
): Promise<{ id: string; timestamp: number }> {
  const id = headers.get('webhook-id');
  const ts = headers.get('webhook-timestamp');
  const sig = headers.get('webhook-signature');
  if (!id || !ts || !sig) throw refuse('Send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks).');
  if (id.length > 256 || /[^\x21-\x7e]/.test(id)) throw refuse('webhook-id must be 1 to 256 printable characters.');
  if (!/^\d{1,12}$/.test(ts)) throw refuse('webhook-timestamp must be Unix seconds.');
  const timestamp = Number(ts);
  const skew = Math.floor(now / 1000) - timestamp;
  if (skew > toleranceSeconds) throw refuse(`webhook-timestamp is ${skew} s old; at most ${toleranceSeconds} s is accepted.`);
  if (skew < -toleranceSeconds) throw refuse(`webhook-timestamp is ${-skew} s in the future; at most ${toleranceSeconds} s is accepted.`);

  const candidates: Uint8Array[] = [];
  const parts = sig.split(' ').filter((p) => p !== '');
  if (parts.length > MAX_SIGNATURES) throw refuse(`webhook-signature holds ${parts.length} signatures; at most ${MAX_SIGNATURES} are accepted.`);
  for (const part of parts) {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) continue;
    try {
      candidates.push(base64ToBytes(value));
    } catch {
      // not base64: cannot match
    }
  }
  if (!candidates.length) throw refuse('webhook-signature holds no v1 signature.');
  const signed = encoder.encode(`${id}.${ts}.${body}`);
  for (const secret of secrets) {
    // One MAC per secret over the (possibly large) body, then every candidate compared to it.
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), signed));
    let found = false;
    for (const candidate of candidates) found = constantTimeEqual(mac, candidate) || found;
    if (found) return { id, timestamp };
  }
  throw refuse('No webhook-signature matches the body with this source\'s secret.');
}

/** Compares two MACs without an early exit, so the time taken does not tell how much of a guess was right. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
