/**
 * Who is calling: `Authorization: Bearer <key>` -> SHA-256 -> the api_keys row (D1). An unusable key
 * answers 401 with `WWW-Authenticate` (RFC 6750); a database that does not answer is a 503, not a 401.
 */
import type { Context } from 'hono';
import { ProblemError } from '../../../shared/problems';
import type { AppEnv } from '../env';
import { problemResponse } from '../problem';
import { KEY_PATTERN, findKey, type ApiKeyRow } from './keys';
import { accountsDb } from './usage';

const REALM = 'gmner';

/** The caller's live key, or the 401 answer to send instead. */
export async function authenticate(c: Context<AppEnv>): Promise<ApiKeyRow | Response> {
  const header = c.req.header('authorization');
  const token = header?.match(/^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i)?.[1];
  if (!token) {
    return unauthorized(c, 'unauthorized', header ? 'The Authorization header must be `Bearer <key>`.' : 'Send your API key as `Authorization: Bearer <key>` (README, Accounts).', !!header);
  }
  let row: ApiKeyRow | null = null;
  if (KEY_PATTERN.test(token)) {
    try {
      row = await findKey(accountsDb(c.env), token);
    } catch (e) {
      if (e instanceof ProblemError) throw e;
      const missing = /no such table/i.test(String((e as Error)?.message));
      throw new ProblemError('accounts-unavailable', missing
        ? 'The accounts tables do not exist: apply the D1 migrations (`npm run keys -- migrate`, add `--remote` for a deployment).'
        : 'The accounts database did not answer; retry shortly.', { retryAfter: missing ? undefined : 1, cause: e });
    }
  }
  if (!row) return unauthorized(c, 'unauthorized', 'Unknown API key.', true);
  if (row.revoked_at) return unauthorized(c, 'key-revoked', `This API key was revoked at ${row.revoked_at}.`, true);
  return row;
}

function unauthorized(c: Context<AppEnv>, kind: 'unauthorized' | 'key-revoked', detail: string, invalid: boolean): Response {
  const res = problemResponse(c, kind, detail);
  res.headers.set('www-authenticate', invalid ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`);
  return res;
}
