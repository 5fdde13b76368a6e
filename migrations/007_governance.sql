-- Governance: policies (DSL source), what they fired on, moderation cases, sanctions and appeals.

CREATE TABLE policies (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL UNIQUE,
	source text NOT NULL,
	mode text NOT NULL CHECK (mode IN ('enforce', 'dry-run', 'disabled')),
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policy_firings (
	id bigserial PRIMARY KEY,
	policy_id uuid NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
	subject_id text NOT NULL,
	mode text NOT NULL,
	actions jsonb NOT NULL,
	evidence jsonb NOT NULL,
	case_id uuid,
	node text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_firings_policy ON policy_firings (policy_id, id);

CREATE TABLE moderation_cases (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	subject_id text NOT NULL,
	reason text NOT NULL,
	evidence jsonb NOT NULL DEFAULT '[]',
	policy_id uuid REFERENCES policies (id) ON DELETE SET NULL,
	state text NOT NULL CHECK (state IN ('open', 'assigned', 'resolved')),
	assignee text,
	decision text CHECK (decision IN ('dismiss', 'warn', 'throttle', 'quarantine', 'ban')),
	resolution text,
	opened_by text NOT NULL,
	resolved_by text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	resolved_at timestamptz
);
CREATE INDEX moderation_cases_subject ON moderation_cases (subject_id, created_at);

CREATE TABLE sanctions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	agent_id text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('warn', 'throttle', 'quarantine', 'ban')),
	reason text NOT NULL,
	case_id uuid REFERENCES moderation_cases (id) ON DELETE SET NULL,
	rate_per_minute integer,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,
	lifted_at timestamptz,
	lifted_by text,
	lift_reason text
);
CREATE INDEX sanctions_active ON sanctions (agent_id) WHERE lifted_at IS NULL;

CREATE TABLE appeals (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	sanction_id uuid NOT NULL REFERENCES sanctions (id) ON DELETE CASCADE,
	agent_id text NOT NULL,
	appellant text NOT NULL,
	statement text NOT NULL,
	state text NOT NULL CHECK (state IN ('open', 'upheld', 'lifted')),
	decided_by text,
	decision_note text,
	created_at timestamptz NOT NULL DEFAULT now(),
	decided_at timestamptz
);
-- One open appeal per sanction.
CREATE UNIQUE INDEX appeals_open ON appeals (sanction_id) WHERE state = 'open';
