-- Accounts and metering (functions/api/accounts). Applied by `npm run keys -- migrate [--remote]`
-- (which wraps `wrangler d1 migrations apply DB`), and by the workerd tests through applyD1Migrations.

-- One row per API key. The key itself is never stored: only its SHA-256 (hex), which the Worker looks up.
CREATE TABLE api_keys (
  id             TEXT PRIMARY KEY,          -- 'key_' + 16 hex; the public handle (list, revoke, usage)
  name           TEXT NOT NULL,
  key_hash       TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the whole key
  key_prefix     TEXT NOT NULL,             -- the key's first 8 characters, to recognise it in `keys list`
  webhook_secret TEXT NOT NULL,             -- 'whsec_' + base64 of 24 random bytes (Standard Webhooks); readable by the server to sign callbacks
  quota          INTEGER,                   -- billable units per calendar month (UTC); NULL = unlimited
  rate_limit     INTEGER,                   -- requests per RATE_LIMIT_WINDOW_S; NULL = RATE_LIMIT_REQUESTS
  created_at     TEXT NOT NULL,             -- ISO 8601 UTC
  revoked_at     TEXT                       -- set by `keys revoke`; a revoked key answers 401 key-revoked
);

-- One row per billable request (or per billable unit of asynchronous work, through recordUsage()).
CREATE TABLE usage_records (
  id          TEXT PRIMARY KEY,             -- server-generated (or the caller's de-duplication id)
  key_id      TEXT NOT NULL REFERENCES api_keys (id),
  request_id  TEXT NOT NULL,                -- the answer's x-request-id
  route       TEXT NOT NULL,                -- e.g. 'POST /v1/recognize'
  units       INTEGER NOT NULL,             -- billable units (1 per recognized post)
  llm_tokens  INTEGER NOT NULL DEFAULT 0,   -- prompt + completion tokens of the hosted LLM
  model_ms    INTEGER NOT NULL DEFAULT 0,   -- summed stage time: LLM and vision models
  status      INTEGER NOT NULL,             -- HTTP status of the answer (never >= 500: those are not billed)
  outcome     TEXT NOT NULL,                -- 'ok', or the problem type slug of a client error, e.g. 'validation'
  created_at  TEXT NOT NULL                 -- ISO 8601 UTC with milliseconds
);
CREATE INDEX usage_records_by_key_time ON usage_records (key_id, created_at, id);
