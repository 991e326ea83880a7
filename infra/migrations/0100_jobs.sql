-- Jobs and webhooks (functions/api/jobs). Applied with the accounts migrations (same D1, same command).

-- One row per job (POST /v1/jobs, one per item of POST /v1/batch, one per inbound webhook). The queue
-- message carries only the id: the row is the job's whole state, so a redelivered message finds it.
CREATE TABLE jobs (
  id                   TEXT PRIMARY KEY,        -- 'job_' + 32 hex; also the answer's `id` and the request_id of its usage record
  key_id               TEXT NOT NULL,           -- the API key that owns the job: bills it, signs its callback, may read it
  origin               TEXT NOT NULL,           -- 'jobs' | 'batch' | 'hook:<source>' (how it was submitted)
  batch_id             TEXT,                    -- 'bat_' + 32 hex for POST /v1/batch items
  batch_index          INTEGER,                 -- the item's position in the batch
  status               TEXT NOT NULL CHECK (status IN ('queued', 'running', 'delivering', 'succeeded', 'failed')),
  input                TEXT,                    -- the checked request as JSON (text, image, options); cleared once the outcome is stored
  status_url           TEXT NOT NULL,           -- absolute URL of GET /v1/jobs/{id}, as the client reached the API
  callback_url         TEXT,                    -- NULL: no callback (poll status_url)
  webhook_id           TEXT NOT NULL,           -- 'msg_' + 32 hex: the callback's `webhook-id`, the same on every attempt
  result               TEXT,                    -- the /v1/recognize answer as JSON, once the pipeline succeeded
  error                TEXT,                    -- an RFC 9457 problem as JSON: the pipeline's (permanent) failure, or why the job failed
  last_error           TEXT,                    -- the latest transient failure (problem JSON), while attempts remain
  attempts             INTEGER NOT NULL DEFAULT 0, -- pipeline runs started
  billed               INTEGER NOT NULL DEFAULT 0, -- 1 once recordUsage() took the outcome
  callback_attempts    INTEGER NOT NULL DEFAULT 0,
  callback_last_status INTEGER,                 -- HTTP status of the latest attempt (NULL: no answer: timeout, network)
  callback_last_error  TEXT,
  callback_last_at     TEXT,
  delivered_at         TEXT,                    -- when the receiver answered 2xx
  created_at           TEXT NOT NULL,           -- ISO 8601 UTC
  started_at           TEXT,
  finished_at          TEXT,                    -- when the outcome (result or error) was stored
  updated_at           TEXT NOT NULL
);
CREATE INDEX jobs_by_key_time ON jobs (key_id, created_at);
CREATE INDEX jobs_by_batch ON jobs (batch_id, batch_index) WHERE batch_id IS NOT NULL;

-- Inbound webhooks already turned into a job, by source and `webhook-id`: a replay is refused.
-- Rows older than the timestamp tolerance (5 min) can go: such a message is refused by its timestamp.
CREATE TABLE hook_deliveries (
  source      TEXT NOT NULL,
  webhook_id  TEXT NOT NULL,
  job_id      TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (source, webhook_id)
);
CREATE INDEX hook_deliveries_by_time ON hook_deliveries (received_at);
