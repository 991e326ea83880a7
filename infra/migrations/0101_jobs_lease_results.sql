-- Jobs that cannot be run twice, lost, or kept forever (functions/api/jobs, issue 11 item 9).
-- lease_until: a running job is claimed until then (ISO 8601 UTC); a second delivery of its message does
--   not run the pipeline while the lease holds, and a crashed run is taken over once it has run out.
-- due_at: when the job's next delivery is expected (creation, or the retry delay): the sweeper
--   (scheduled handler) re-enqueues a queued job whose due_at is more than JOB_STUCK_AFTER_S past.
-- result_key: the R2 key (RESULTS bucket) of a result too large for a D1 row; `result` is then NULL.
ALTER TABLE jobs ADD COLUMN lease_until TEXT;
ALTER TABLE jobs ADD COLUMN due_at TEXT;
ALTER TABLE jobs ADD COLUMN result_key TEXT;
UPDATE jobs SET due_at = updated_at WHERE due_at IS NULL;
CREATE INDEX jobs_by_status_due ON jobs (status, due_at);
CREATE INDEX jobs_by_status_finished ON jobs (status, finished_at);
