-- The agent runtime: what should run (desired state), what does (state), the history
-- of every transition, tasks and their results, and each agent's key/value state.

CREATE TABLE agents (
	id text PRIMARY KEY,
	manifest jsonb NOT NULL,
	-- The manifest exactly as submitted (with its signature), for re-verification.
	raw_manifest jsonb NOT NULL,
	manifest_digest text NOT NULL,
	owner text,
	desired_state text NOT NULL CHECK (desired_state IN ('running', 'stopped')),
	state text NOT NULL,
	node_id text,
	pid integer,
	restarts integer NOT NULL DEFAULT 0,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_transitions (
	id bigserial PRIMARY KEY,
	agent_id text NOT NULL,
	from_state text NOT NULL,
	to_state text NOT NULL,
	reason text NOT NULL,
	node_id text NOT NULL,
	at timestamptz NOT NULL
);
CREATE INDEX agent_transitions_agent ON agent_transitions (agent_id, id);

CREATE TABLE agent_tasks (
	id uuid PRIMARY KEY,
	agent_id text NOT NULL,
	type text NOT NULL,
	input jsonb NOT NULL,
	caller jsonb NOT NULL,
	status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
	result jsonb,
	error jsonb,
	created_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
);
CREATE INDEX agent_tasks_agent ON agent_tasks (agent_id, created_at DESC);

CREATE TABLE agent_state (
	agent_id text NOT NULL,
	key text NOT NULL,
	value jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (agent_id, key)
);
