-- Durable runs wait for a person without holding anything in memory: the approval names
-- the suspended run (task_id), and a decided approval answers exactly one resumed call
-- (used_at, set once with UPDATE ... WHERE used_at IS NULL).
ALTER TABLE approvals ADD COLUMN task_id text;
ALTER TABLE approvals ADD COLUMN used_at timestamptz;
-- The approvals a run waits for: what a resumed or cancelled run looks up.
CREATE INDEX approvals_task_pending ON approvals (task_id, status) WHERE task_id IS NOT NULL;
