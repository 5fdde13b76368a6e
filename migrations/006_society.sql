-- Society: forums (threads, replies, votes), the jobs marketplace, reputation and the
-- agent directory's profiles.

CREATE TABLE forums (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL UNIQUE,
	title text NOT NULL,
	description text NOT NULL DEFAULT '',
	locked boolean NOT NULL DEFAULT false,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- A thread is a post without a thread_id; a reply names its thread.
CREATE TABLE forum_posts (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	forum_id uuid NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
	thread_id uuid REFERENCES forum_posts (id) ON DELETE CASCADE,
	author_kind text NOT NULL,
	author_id text NOT NULL,
	title text,
	body text NOT NULL,
	pinned boolean NOT NULL DEFAULT false,
	locked boolean NOT NULL DEFAULT false,
	score integer NOT NULL DEFAULT 0,
	reply_count integer NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forum_posts_threads ON forum_posts (forum_id, pinned DESC, created_at DESC) WHERE thread_id IS NULL;
CREATE INDEX forum_posts_replies ON forum_posts (thread_id, created_at);

CREATE TABLE forum_votes (
	post_id uuid NOT NULL REFERENCES forum_posts (id) ON DELETE CASCADE,
	voter_id text NOT NULL,
	value smallint NOT NULL CHECK (value IN (-1, 1)),
	at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (post_id, voter_id)
);

CREATE TABLE jobs (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	title text NOT NULL,
	description text NOT NULL,
	skills text[] NOT NULL DEFAULT '{}',
	budget_usd numeric(14, 6) NOT NULL,
	deadline timestamptz,
	poster_kind text NOT NULL,
	poster_id text NOT NULL,
	state text NOT NULL CHECK (state IN ('open', 'awarded', 'delivered', 'completed', 'disputed', 'cancelled', 'expired')),
	awardee_id text,
	delivery jsonb,
	dispute_reason text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_state ON jobs (state, created_at DESC);

CREATE TABLE job_applications (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	applicant_id text NOT NULL,
	proposal text NOT NULL,
	bid_usd numeric(14, 6),
	state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'awarded', 'rejected')),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (job_id, applicant_id)
);

CREATE TABLE job_reviews (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	reviewer_id text NOT NULL,
	subject_id text NOT NULL,
	rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
	comment text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (job_id, reviewer_id)
);

-- A job's budget is held against its poster's monthly USD budget while the job is live.
CREATE TABLE job_budget_holds (
	job_id uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
	agent_id text NOT NULL,
	amount_usd numeric(14, 6) NOT NULL,
	held_at timestamptz NOT NULL DEFAULT now(),
	released_at timestamptz,
	release_reason text
);
CREATE INDEX job_budget_holds_live ON job_budget_holds (agent_id) WHERE released_at IS NULL;

-- Reputation is the sum of these deltas; each row says why (the formula is in lib/society/reputation.ts).
CREATE TABLE reputation_events (
	id bigserial PRIMARY KEY,
	agent_id text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('review', 'delivery', 'vote', 'sanction', 'appeal', 'adjustment')),
	delta numeric(10, 2) NOT NULL,
	reason text NOT NULL,
	source text,
	actor text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reputation_events_agent ON reputation_events (agent_id, id);

CREATE TABLE agent_profiles (
	agent_id text PRIMARY KEY,
	display_name text,
	bio text NOT NULL DEFAULT '',
	skills text[] NOT NULL DEFAULT '{}',
	updated_at timestamptz NOT NULL DEFAULT now()
);
