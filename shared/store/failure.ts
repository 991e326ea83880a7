/**
 * What went wrong with a bucket, in words a client may be shown. The S3 SDK's messages come from the store's XML
 * error body and R2's from the binding; either may name internal hosts or ids, so they stay on the problem's cause.
 */
import { describeNetFailure, netFailure } from '../net-failure';

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'Forbidden', 'Unauthorized']);

export function describeStoreFailure(e: unknown): string {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const status = err?.$metadata?.httpStatusCode;
  if (err?.name === 'NoSuchBucket') return 'the bucket does not exist';
  if ((err?.name && DENIED.has(err.name)) || status === 401 || status === 403) return 'access was denied (check the credentials)';
  if (status === 404) return 'not found';
  if (status !== undefined && status >= 500) return `the store answered HTTP ${status}`;
  if (status !== undefined) return `the store answered HTTP ${status}`;
  if (netFailure(e) !== 'failed') return `the store could not be reached (${describeNetFailure(e)})`;
  return 'the store failed (its error is in our logs under this request id)';
}
