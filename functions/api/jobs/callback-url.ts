/**
 * Which callback URLs the API will POST to: the image-URL host rules (shared/image/url-policy.ts: no
 * IP-literal hosts in any spelling, no localhost, no local-only names), https only, and in development
 * (ALLOW_INSECURE_CALLBACK_URLS) plain http to loopback hosts only. Checked when a job is submitted
 * and again before every attempt.
 */
import { checkImageUrl } from '../../../shared/image/url-policy';
import { ProblemError, isProblem } from '../../../shared/problems';

export const MAX_CALLBACK_URL_LENGTH = 2048;

const refuse = (detail: string) => new ProblemError('callback-url-refused', detail);

/** The URL to POST to (without any #fragment), or callback-url-refused. */
export function checkCallbackUrl(raw: string, allowInsecure: boolean): URL {
  if (raw.length > MAX_CALLBACK_URL_LENGTH) throw refuse(`Callback URLs are limited to ${MAX_CALLBACK_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = checkImageUrl(raw, allowInsecure);
  } catch (e) {
    if (!isProblem(e)) throw e;
    // Same rules, worded for callbacks.
    throw refuse(e.message.replace(/\bimage URLs\b/g, 'callback URLs').replace(/\bImage URLs\b/g, 'Callback URLs').replace(/the image's DNS name/g, "the receiver's DNS name"));
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw refuse(`Only https callback URLs are accepted; http is allowed in development for loopback hosts only, not ${url.hostname}.`);
  }
  url.hash = '';
  return url;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.+$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
