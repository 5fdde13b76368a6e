-- Model usage: one row per provider call that answered, for totals per agent, model
-- and day, and for budgets.
CREATE TABLE llm_usage (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	agent_id text,
	provider text NOT NULL,
	model text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('chat', 'stream', 'embed')),
	prompt_tokens integer NOT NULL,
	completion_tokens integer NOT NULL,
	cost_usd numeric(14, 8) NOT NULL,
	latency_ms integer NOT NULL,
	request_id text NOT NULL
);
CREATE INDEX llm_usage_agent_at ON llm_usage (agent_id, at);
CREATE INDEX llm_usage_at ON llm_usage (at);

-- Per-agent limits, checked before each call; NULL means no limit.
CREATE TABLE llm_budgets (
	agent_id text PRIMARY KEY,
	daily_tokens bigint,
	daily_usd numeric(14, 6),
	monthly_tokens bigint,
	monthly_usd numeric(14, 6),
	updated_at timestamptz NOT NULL DEFAULT now()
);
