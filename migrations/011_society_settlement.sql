-- Settlement of disputed jobs by a moderator, and restoring an agent's desired state when
-- the quarantine or ban that stopped it ends.

ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('open', 'awarded', 'delivered', 'completed', 'disputed', 'settled', 'cancelled', 'expired'));
-- {outcome, workerShare, workerUsd, posterUsd, reason, settledBy, at, reputation}
ALTER TABLE jobs ADD COLUMN settlement jsonb;

ALTER TABLE reputation_events DROP CONSTRAINT reputation_events_kind_check;
ALTER TABLE reputation_events ADD CONSTRAINT reputation_events_kind_check CHECK (kind IN ('review', 'delivery', 'vote', 'sanction', 'appeal', 'adjustment', 'settlement'));

-- The desired state the agent had before a quarantine or ban stopped it, given back once
-- no such sanction is in force (lifted, revoked on appeal or expired); restored_at marks
-- that it was given back, so one node does it once.
ALTER TABLE sanctions ADD COLUMN restore_state text CHECK (restore_state IN ('running', 'stopped'));
ALTER TABLE sanctions ADD COLUMN restored_at timestamptz;
CREATE INDEX sanctions_to_restore ON sanctions (expires_at) WHERE restore_state IS NOT NULL AND restored_at IS NULL;
