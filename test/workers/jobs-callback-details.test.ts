/**
 * A callback that cannot be delivered: the job's `callback.last_error` (and the callback-failed problem built from
 * it) names the client's own URL and what failed, not the socket layer's text (issue 11, item 10), which is
 * returned as `cause` for the consumer's log. The socket layer is replaced here by a fetch that throws what
 * Node's and workerd's fetch throw.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobsConfig } from '../../functions/api/jobs/config';
import { deliverCallback } from '../../functions/api/jobs/delivery';
import type { JobRow } from '../../functions/api/jobs/store';

const job = {
  id: 'job_0123456789abcdef0123456789abcdef', key_id: 'key_1', origin: 'jobs', batch_id: null, batch_index: null, status: 'delivering',
  input: null, status_url: 'https://api.example.com/v1/jobs/job_0123456789abcdef0123456789abcdef', callback_url: 'https://hooks.example.com/gmner',
  webhook_id: 'msg_1', result: '{"entities":[]}', error: null, last_error: null, attempts: 1, billed: 1, callback_attempts: 0,
  callback_last_status: null, callback_last_error: null, callback_last_at: null, delivered_at: null, created_at: '2026-12-01T00:00:00Z',
  started_at: null, finished_at: '2026-12-01T00:00:01Z', updated_at: '2026-12-01T00:00:01Z', lease_until: null, due_at: null, result_key: null,
} as JobRow;

afterEach(() => vi.restoreAllMocks());

describe('callback delivery details', () => {
  it.each([
    ['Node: connect ECONNREFUSED', new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.20.30.40:443'), { code: 'ECONNREFUSED' }) }), 'request failed: the connection was refused', /10\.20\.30\.40/],
    ['Node: TLS', new TypeError('fetch failed', { cause: Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }) }), 'request failed: the TLS handshake failed', /self-signed/],
    ['workerd: internal error', new Error('internal error; reference = 9mjpijiuapqtcjk8q6evijr1'), 'request failed: the connection failed', /reference = 9mjp/],
  ])('a socket failure (%s) is a clean last_error; the raw text is only the logged cause', async (_, raw, words, rawText) => {
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(raw);
    const r = await deliverCallback(job, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', jobsConfig({}));
    expect(r).toMatchObject({ ok: false, status: null, error: words, gone: false });
    expect(r.ok ? '' : r.error).not.toMatch(rawText);
    expect(r.ok ? '' : r.cause).toMatch(rawText);
  });
});
