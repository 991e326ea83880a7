-- The client's own X-Request-Id, kept apart from request_id (always ours), issue 11 item 10.
ALTER TABLE usage_records ADD COLUMN client_request_id TEXT;
