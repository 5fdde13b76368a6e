-- The kernel's own state: facts about this installation that every node shares.

-- One row per key; `instance_id` names the installation (the same on every node of a
-- cluster, and across restarts), so operators can tell clusters apart.
CREATE TABLE kernel_meta (
	key text PRIMARY KEY,
	value jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO kernel_meta (key, value) VALUES ('instance_id', to_jsonb(gen_random_uuid()::text));

-- Nodes that have booted against this database, with when they were last seen, so
-- a cluster's history survives the nodes themselves.
CREATE TABLE kernel_nodes (
	node_id text PRIMARY KEY,
	hostname text NOT NULL,
	version text NOT NULL,
	started_at timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Collections of the pgvector store: one table each (vectors_<name>), whose dimension
-- is fixed when it is created. Kept here so that every node agrees on them.
CREATE TABLE vector_collections (
	name text PRIMARY KEY,
	dimension integer NOT NULL CHECK (dimension > 0),
	created_at timestamptz NOT NULL DEFAULT now()
);
