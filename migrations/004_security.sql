-- Identity and trust: API tokens, capability grants, the audit log and approvals.

-- Scoped API tokens. Only a SHA-256 of the token is kept: a leaked table leaks no token.
CREATE TABLE api_tokens (
	id uuid PRIMARY KEY,
	name text NOT NULL,
	token_hash text NOT NULL UNIQUE,
	scopes text[] NOT NULL,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,
	revoked_at timestamptz,
	last_used_at timestamptz
);

-- What each agent may do. A grant may be narrowed by constraints (paths, domains,
-- commands, models) and may expire; revoking keeps the row for the record.
CREATE TABLE agent_grants (
	id bigserial PRIMARY KEY,
	agent_id text NOT NULL,
	capability text NOT NULL,
	constraints jsonb NOT NULL DEFAULT '{}',
	granted_by text NOT NULL,
	granted_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,
	revoked_at timestamptz,
	revoked_by text
);
CREATE INDEX agent_grants_active ON agent_grants (agent_id) WHERE revoked_at IS NULL;

-- Append-only and hash-chained: hash = sha256(prev_hash || canonical JSON of the row),
-- so an edited or removed row breaks the chain from there on.
CREATE TABLE audit_log (
	seq bigserial PRIMARY KEY,
	at timestamptz NOT NULL,
	actor_kind text NOT NULL,
	actor_id text NOT NULL,
	node text NOT NULL,
	action text NOT NULL,
	target text,
	outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'succeeded', 'failed')),
	request_id text,
	data jsonb NOT NULL DEFAULT '{}',
	prev_hash text NOT NULL,
	hash text NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- Actions that wait for a person to say yes or no.
CREATE TABLE approvals (
	id uuid PRIMARY KEY,
	agent_id text NOT NULL,
	action text NOT NULL,
	params jsonb NOT NULL,
	reason text NOT NULL,
	status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
	requested_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	decided_at timestamptz,
	decided_by text,
	note text
);
CREATE INDEX approvals_pending ON approvals (status, requested_at);
