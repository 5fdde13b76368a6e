-- Incident lockdown: one act that quarantines every agent (or a selection), and lifts
-- exactly the quarantines it made. At most one is in force at a time, cluster-wide.
CREATE TABLE lockdowns (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	reason text NOT NULL,
	-- The agents asked for; null: every agent there was.
	selection jsonb,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	lifted_at timestamptz,
	lifted_by text,
	lift_reason text
);
CREATE UNIQUE INDEX lockdowns_one_active ON lockdowns ((true)) WHERE lifted_at IS NULL;

ALTER TABLE sanctions ADD COLUMN lockdown_id uuid REFERENCES lockdowns (id) ON DELETE SET NULL;
-- One quarantine per agent and lockdown, also for an agent that starts during one.
CREATE UNIQUE INDEX sanctions_lockdown ON sanctions (lockdown_id, agent_id) WHERE lockdown_id IS NOT NULL;

-- The console's task list: recent tasks across agents.
CREATE INDEX agent_tasks_recent ON agent_tasks (created_at DESC);
