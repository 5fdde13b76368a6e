-- Agents of other A2A systems, added to the directory by their Agent Card so local agents
-- find them like local ones. The bearer token for the remote is kept encrypted
-- (AES-256-GCM, key derived from CLUSTER_SECRET), so any node of the cluster can use it.
CREATE TABLE remote_agents (
	id text PRIMARY KEY,
	card_url text NOT NULL UNIQUE,
	url text NOT NULL,
	name text NOT NULL,
	description text NOT NULL DEFAULT '',
	skills text[] NOT NULL DEFAULT '{}',
	card jsonb NOT NULL,
	token_sealed text,
	added_by text,
	created_at timestamptz NOT NULL DEFAULT now(),
	refreshed_at timestamptz NOT NULL DEFAULT now()
);
