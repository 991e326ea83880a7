/**
 * The per-request log line (functions/api/request-log.ts) carries what finding one request needs: our
 * request id (the `x-request-id` answer header), the key, the route pattern, the status, the problem
 * type of a failure and the timings.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, llmEnv, post, recognizeBody } from '../support/accounts';

const app = createApp();

function captureLines() {
  const lines: Record<string, unknown>[] = [];
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => {
    try {
      lines.push(JSON.parse(String(s)));
    } catch { /* not a JSON line */ }
  });
  return (requestId: string | null) => lines.filter((l) => l.request_id === requestId && 'status' in l);
}

afterEach(() => vi.restoreAllMocks());

describe('the request log line', () => {
  it('names the request id, key, route, status and timings of a success', async () => {
    const k = await issueKey({ name: 'request-log-ok' });
    const linesOf = captureLines();
    const res = await app.request('/v1/recognize', post(await recognizeBody(), k.auth), llmEnv().env);
    expect(res.status).toBe(200);
    const [line, ...more] = linesOf(res.headers.get('x-request-id'));
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 'info', key_id: k.id, method: 'POST', route: '/v1/recognize', path: '/v1/recognize', status: 200, problem: null });
    expect(line.duration_ms).toEqual(expect.any(Number));
    expect(line.timings_ms).toMatchObject({ recognize: expect.any(Number), total: expect.any(Number) });
  });

  it('names the problem type of a refusal, with the key when one was accepted and the route pattern', async () => {
    const k = await issueKey({ name: 'request-log-bad' });
    const linesOf = captureLines();
    const bad = await app.request('/v1/recognize', post('{"text": ""}', k.auth), llmEnv().env);
    expect(bad.status).toBe(422);
    expect(linesOf(bad.headers.get('x-request-id'))[0]).toMatchObject({ key_id: k.id, route: '/v1/recognize', status: 422, problem: 'validation' });

    const anon = await app.request('/v1/jobs/job_00000000000000000000000000000000', {}, llmEnv().env);
    expect(anon.status).toBe(401);
    expect(linesOf(anon.headers.get('x-request-id'))[0]).toMatchObject({ key_id: null, route: '/v1/jobs/:id', status: 401, problem: 'unauthorized' });
    // The client still reads the whole problem: the log read a copy.
    expect((await anon.json<{ type: string }>()).type).toMatch(/unauthorized$/);
  });
});
