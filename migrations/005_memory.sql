-- Agents' memories. The row is the truth; vector indexes are built from it.
CREATE TABLE memories (
	id text PRIMARY KEY,
	agent_id text NOT NULL,
	type text NOT NULL CHECK (type IN ('episodic', 'semantic', 'procedural')),
	scope text NOT NULL CHECK (scope IN ('private', 'shared', 'public')),
	-- Plain text, or `v1.<iv>.<tag>.<data>` when encrypted.
	content text NOT NULL,
	-- A JSON object, or {"$encrypted": "v1...."} when encrypted.
	metadata jsonb NOT NULL DEFAULT '{}',
	importance real NOT NULL DEFAULT 0.5 CHECK (importance >= 0 AND importance <= 1),
	encrypted boolean NOT NULL DEFAULT false,
	-- float32 little-endian (iv | tag | ciphertext when encrypted).
	embedding bytea NOT NULL,
	dims integer NOT NULL,
	-- Encrypted memories have no full-text index: the server never sees their words.
	search_text tsvector GENERATED ALWAYS AS (CASE WHEN encrypted THEN NULL ELSE to_tsvector('english'::regconfig, content) END) STORED,
	created_at timestamptz NOT NULL DEFAULT now(),
	archived_at timestamptz
);
CREATE INDEX memories_agent ON memories (agent_id, created_at);
CREATE INDEX memories_visible ON memories (scope, agent_id) WHERE archived_at IS NULL;
-- fastupdate off: a pending list would be scanned by every search after a bulk insert.
CREATE INDEX memories_text ON memories USING gin (search_text) WITH (fastupdate = off);
CREATE INDEX memories_archived ON memories (archived_at) WHERE archived_at IS NOT NULL;

-- An owner's `shared` memories are visible to the agents it shares with.
CREATE TABLE memory_shares (
	owner_id text NOT NULL,
	grantee_id text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (owner_id, grantee_id)
);
CREATE INDEX memory_shares_grantee ON memory_shares (grantee_id);

-- Chat sessions: every message, in order, and a running summary of those that slid out of the window.
CREATE TABLE conversation_messages (
	agent_id text NOT NULL,
	session_id text NOT NULL,
	seq integer NOT NULL,
	role text NOT NULL,
	content text NOT NULL,
	encrypted boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (agent_id, session_id, seq)
);

CREATE TABLE conversation_summaries (
	agent_id text NOT NULL,
	session_id text NOT NULL,
	summary text NOT NULL,
	-- The last message seq the summary covers.
	covers_seq integer NOT NULL,
	encrypted boolean NOT NULL DEFAULT false,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (agent_id, session_id)
);
