-- Durable runs: every task's run is recorded before it starts, each ctx call it makes is
-- journaled with its result (task_steps), and a run whose node or worker died is claimed
-- and resumed by whichever node runs the agent, replaying the journal.
ALTER TABLE agent_tasks DROP CONSTRAINT agent_tasks_status_check;
ALTER TABLE agent_tasks ADD CONSTRAINT agent_tasks_status_check CHECK (status IN ('queued', 'running', 'suspended', 'succeeded', 'failed', 'cancelled'));
-- Journaled and resumable (the agent's manifest did not turn durability off).
ALTER TABLE agent_tasks ADD COLUMN durable boolean NOT NULL DEFAULT false;
-- The broker instance running the run now; null when nobody does (queued, suspended, ended).
ALTER TABLE agent_tasks ADD COLUMN owner text;
-- Times the run was started or resumed.
ALTER TABLE agent_tasks ADD COLUMN attempts integer NOT NULL DEFAULT 0;
-- The step the last attempts failed at, and how many times in a row.
ALTER TABLE agent_tasks ADD COLUMN failed_step integer;
ALTER TABLE agent_tasks ADD COLUMN step_failures integer NOT NULL DEFAULT 0;
-- Not before: a run that failed a step waits this long before its next attempt.
ALTER TABLE agent_tasks ADD COLUMN retry_at timestamptz;
-- What a suspended run waits for (a person's approval), and until when it may wait.
ALTER TABLE agent_tasks ADD COLUMN waiting_for jsonb;
ALTER TABLE agent_tasks ADD COLUMN wait_until timestamptz;
ALTER TABLE agent_tasks ADD COLUMN started_at timestamptz;
-- The runs not ended, which recovery looks through.
CREATE INDEX agent_tasks_open ON agent_tasks (agent_id) WHERE status IN ('queued', 'running', 'suspended');
CREATE INDEX agent_tasks_finished ON agent_tasks (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE task_steps (
	task_id uuid NOT NULL REFERENCES agent_tasks (id) ON DELETE CASCADE,
	seq integer NOT NULL,
	-- The action (or runtime method) called, and what it was about (the model, the tool).
	action text NOT NULL,
	label text,
	ok boolean NOT NULL,
	result jsonb,
	error jsonb,
	started_at timestamptz NOT NULL,
	duration_ms integer NOT NULL,
	cost_usd double precision NOT NULL DEFAULT 0,
	tokens integer NOT NULL DEFAULT 0,
	PRIMARY KEY (task_id, seq)
);
