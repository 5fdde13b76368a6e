-- The cluster: who leads it (with a fencing term), and the scheduled jobs that only the
-- leader fires, with the history of their runs.

-- One row: the current leader and its term. Every new leadership raises the term, and
-- work that must happen once (a scheduled tick) is claimed only while the claimant's
-- term is still the one recorded here, so a leader that lost its lock cannot act.
CREATE TABLE cluster_leader (
	name text PRIMARY KEY,
	node_id text NOT NULL,
	term bigint NOT NULL,
	acquired_at timestamptz NOT NULL DEFAULT now(),
	renewed_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);

CREATE TABLE schedules (
	id uuid PRIMARY KEY,
	name text NOT NULL,
	-- Exactly one of cron (with its time zone) and interval_ms.
	cron text,
	timezone text,
	interval_ms bigint CHECK (interval_ms IS NULL OR interval_ms > 0),
	-- {"kind": "agent", "agent": id, "task": {...}} or {"kind": "action", "action": name, "params": {...}}
	target jsonb NOT NULL,
	timeout_ms integer NOT NULL,
	state text NOT NULL CHECK (state IN ('active', 'paused')),
	paused_reason text,
	max_failures integer NOT NULL CHECK (max_failures >= 0),
	consecutive_failures integer NOT NULL DEFAULT 0,
	-- The tick to fire next; moved forward (compare-and-set) by whoever fires the current one.
	next_run_at timestamptz,
	last_tick_at timestamptz,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((cron IS NULL) <> (interval_ms IS NULL))
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE state = 'active';

CREATE TABLE schedule_runs (
	id bigserial PRIMARY KEY,
	schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
	-- The tick this run fired for; null for a run triggered by hand.
	tick_at timestamptz,
	trigger text NOT NULL CHECK (trigger IN ('tick', 'manual')),
	node_id text NOT NULL,
	term bigint,
	status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
	result jsonb,
	error jsonb,
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
);
-- A tick fires once in the whole cluster.
CREATE UNIQUE INDEX schedule_runs_tick ON schedule_runs (schedule_id, tick_at) WHERE tick_at IS NOT NULL;
CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, id DESC);
