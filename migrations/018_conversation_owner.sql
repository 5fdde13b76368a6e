-- A chat session belongs to the identity that started it (a token, the admin, an agent):
-- the owner is part of the session's key, so one caller's session id never reaches another's.
-- Sessions kept before owners existed belong to 'unowned': nothing is lost, and only an
-- admin reads them (GET /api/v1/agents/:agentId/all-sessions/unowned/:sessionId).
ALTER TABLE conversation_messages ADD COLUMN owner text NOT NULL DEFAULT 'unowned';
ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_pkey;
ALTER TABLE conversation_messages ADD PRIMARY KEY (agent_id, owner, session_id, seq);
ALTER TABLE conversation_messages ALTER COLUMN owner DROP DEFAULT;

ALTER TABLE conversation_summaries ADD COLUMN owner text NOT NULL DEFAULT 'unowned';
ALTER TABLE conversation_summaries DROP CONSTRAINT conversation_summaries_pkey;
ALTER TABLE conversation_summaries ADD PRIMARY KEY (agent_id, owner, session_id);
ALTER TABLE conversation_summaries ALTER COLUMN owner DROP DEFAULT;
