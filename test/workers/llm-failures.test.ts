/**
 * Provider failures against the recorded server: timeouts, cancellation, retries that honour
 * Retry-After, and the 502/503/504 problems when the provider fails for good.
 */
import { describe, expect, it } from 'vitest';
import { createRecognizer, llmConfigFromEnv } from '../../shared/recognize';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';
import { recordedCalls as calls, recordedRecognizer as recognizer, scriptAnswers } from '../support/llm';
import { problemOf } from '../support/problem-of';

const VEGA = UNIT_RECORDINGS.find((r) => r.id === 'u3')!.text;

describe('timeouts and cancellation', () => {
  it('gives up after LLM_TIMEOUT_MS with 504 llm-timeout, without retrying', async () => {
    const t0 = Date.now();
    const p = await problemOf(recognizer('slow?delay_ms=3000&t=f1', { LLM_TIMEOUT_MS: '300' }).recognize({ text: VEGA, labels: 'gmner' }));
    const elapsed = Date.now() - t0;
    expect(p.kind).toBe('llm-timeout');
    expect(p.status).toBe(504);
    expect(p.extensions).toMatchObject({ dependency: 'llm', provider: 'openai', attempts: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2500);
    expect(await calls('slow?delay_ms=3000&t=f1')).toBe(1);
  });

  it('answers when the model is slow but within the limit', async () => {
    const out = await recognizer('slow?delay_ms=200&t=f2', { LLM_TIMEOUT_MS: '3000' }).recognize({ text: VEGA, labels: 'gmner' });
    expect(out.entities).toHaveLength(2);
  });

  it("stops at once when the caller's signal aborts, with the caller's reason", async () => {
    const ctrl = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => ctrl.abort(reason), 150);
    const t0 = Date.now();
    const err = await recognizer('slow?delay_ms=3000&t=f3').recognize({ text: VEGA, labels: 'gmner', signal: ctrl.signal }).catch((e) => e);
    expect(err).toBe(reason);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('cancels outstanding expansion calls when the caller aborts mid-way in per_entity mode', async () => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(new Error('stop')), 400);
    // recognition answers after 100 ms; every expansion takes 3 s
    const t0 = Date.now();
    const err = await recognizer('slow?delay_ms=100&expand_delay_ms=3000&t=f4', { LLM_MODE: 'per_entity' })
      .recognize({ text: VEGA, labels: 'gmner', signal: ctrl.signal })
      .catch((e) => e);
    expect((err as Error).message).toBe('stop');
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await calls('slow?delay_ms=100&expand_delay_ms=3000&t=f4')).toBe(3);
  });
});

describe('retries', () => {
  it('waits for Retry-After on 429 and then succeeds', async () => {
    const t0 = Date.now();
    const out = await recognizer('rate-limited?times=1&retry_after=1&t=r1').recognize({ text: VEGA, labels: 'gmner' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(out.entities).toHaveLength(2);
    expect(out.usage.calls).toBe(1); // failed attempts produce no completion
    expect(await calls('rate-limited?times=1&retry_after=1&t=r1')).toBe(2);
  });

  it('honours retry-after-ms precisely', async () => {
    const t0 = Date.now();
    await recognizer('rate-limited?times=2&retry_after_ms=150&t=r2').recognize({ text: VEGA, labels: 'gmner' });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(1500);
  });

  it('answers 503 llm-unavailable with Retry-After when the rate limit persists', async () => {
    const p = await problemOf(recognizer('rate-limited?retry_after_ms=50&t=r3', { LLM_MAX_RETRIES: '2' }).recognize({ text: VEGA, labels: 'gmner' }));
    expect(p.kind).toBe('llm-unavailable');
    expect(p.status).toBe(503);
    expect(p.retryAfter).toBe(1);
    expect(p.extensions).toMatchObject({ dependency: 'llm', provider: 'openai', upstream_status: 429, attempts: 3 });
    expect(await calls('rate-limited?retry_after_ms=50&t=r3')).toBe(3);
  });

  it('does not sit out a Retry-After longer than it can wait', async () => {
    const t0 = Date.now();
    const p = await problemOf(recognizer('rate-limited?retry_after=120&t=r4').recognize({ text: VEGA, labels: 'gmner' }));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(p.retryAfter).toBe(120);
    expect(await calls('rate-limited?retry_after=120&t=r4')).toBe(1);
  });

  it('retries a 500 with backoff and succeeds', async () => {
    const out = await recognizer('fail500?times=1&t=r5').recognize({ text: VEGA, labels: 'gmner' });
    expect(out.entities).toHaveLength(2);
    expect(await calls('fail500?times=1&t=r5')).toBe(2);
  });

  it('answers 502 llm-failed after LLM_MAX_RETRIES retries of a 500', async () => {
    const p = await problemOf(recognizer('fail500?t=r6', { LLM_MAX_RETRIES: '1' }).recognize({ text: VEGA, labels: 'gmner' }));
    expect(p.kind).toBe('llm-failed');
    expect(p.status).toBe(502);
    expect(p.extensions).toMatchObject({ upstream_status: 500, attempts: 2 });
    expect(await calls('fail500?t=r6')).toBe(2);
  });

  it('answers 503 llm-unavailable for a persistent 503', async () => {
    const p = await problemOf(recognizer('fail503?t=r7', { LLM_MAX_RETRIES: '0' }).recognize({ text: VEGA, labels: 'gmner' }));
    expect([p.kind, p.status]).toEqual(['llm-unavailable', 503]);
  });

  it('does not retry a 401 and points at the key', async () => {
    const p = await problemOf(recognizer('unauthorized?t=r8').recognize({ text: VEGA, labels: 'gmner' }));
    expect([p.kind, p.status]).toEqual(['llm-failed', 502]);
    expect(p.message).toContain('LLM_API_KEY');
    expect(await calls('unauthorized?t=r8')).toBe(1);
  });

  it("keeps the provider's error text out of the detail (it stays on the cause, for the logs)", async () => {
    const p = await problemOf(recognizer('unauthorized?t=r11').recognize({ text: VEGA, labels: 'gmner' }));
    expect(p.message).toBe('the LLM provider (openai, model unauthorized?t=r11) rejected the request (401). Check LLM_API_KEY.');
    expect(String((p.cause as Error).message)).toContain('Incorrect API key provided');
    await scriptAnswers('r12', [{ status: 400, message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens (internal ref 7f3a)." }]);
    const ctx = await problemOf(recognizer('scripted?id=r12').recognize({ text: VEGA, labels: 'gmner' }));
    expect(ctx.message).toBe("the LLM provider (openai, model scripted?id=r12) rejected the request (400: the prompt is longer than the model's context).");
    expect(ctx.extensions).toMatchObject({ upstream_status: 400 });
    const r = llmConfigFromEnv({ LLM_BASE_URL: 'http://127.0.0.1:9/v1', LLM_API_KEY: 'k', LLM_MODEL: 'm', LLM_MAX_RETRIES: '0' });
    const down = await problemOf(createRecognizer(r.config!).recognize({ text: VEGA, labels: 'gmner' }));
    expect(down.message).toBe('the LLM provider (openai, model m) could not be reached (1 attempt).');
  });

  it('answers 503 when nothing listens at the base URL', async () => {
    const r = llmConfigFromEnv({ LLM_BASE_URL: 'http://127.0.0.1:9/v1', LLM_API_KEY: 'k', LLM_MODEL: 'm', LLM_MAX_RETRIES: '1' });
    const p = await problemOf(createRecognizer(r.config!).recognize({ text: VEGA, labels: 'gmner' }));
    expect([p.kind, p.status]).toEqual(['llm-unavailable', 503]);
    expect(p.extensions).toMatchObject({ attempts: 2 });
  });

  it('answers 502 when the base URL is a web page, not an API', async () => {
    const p = await problemOf(recognizer('html?t=r9').recognize({ text: VEGA, labels: 'gmner' }));
    expect([p.kind, p.status]).toEqual(['llm-failed', 502]);
    expect(p.message).toContain('LLM_BASE_URL');
  });

  it('fails the whole per_entity request when one expansion fails for good', async () => {
    await scriptAnswers('r10', ['{"entities": [{"text": "Marisol Vega", "type": "PER"}]}', { status: 500 }]);
    const p = await problemOf(recognizer('scripted?id=r10', { LLM_MODE: 'per_entity', LLM_MAX_RETRIES: '0' }).recognize({ text: VEGA, labels: 'gmner' }));
    expect([p.kind, p.status]).toEqual(['llm-failed', 502]);
  });
});
