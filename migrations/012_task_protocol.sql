-- Tasks reached through open protocols (A2A): the conversation a task belongs to, the
-- protocol's own record of it (message history, artifacts), and a cancelled state.
ALTER TABLE agent_tasks ADD COLUMN context_id text;
ALTER TABLE agent_tasks ADD COLUMN protocol_state jsonb;
ALTER TABLE agent_tasks DROP CONSTRAINT agent_tasks_status_check;
ALTER TABLE agent_tasks ADD CONSTRAINT agent_tasks_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
CREATE INDEX agent_tasks_context ON agent_tasks (context_id) WHERE context_id IS NOT NULL;
