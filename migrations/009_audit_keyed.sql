-- The audit chain becomes keyed: hash = HMAC(key, prev_hash || canonical JSON of the row),
-- with a key the database does not hold (AUDIT_HMAC_KEY, or derived from CLUSTER_SECRET).
-- Rows written before keep their unkeyed sha256 hashes and are marked so; they still verify.

ALTER TABLE audit_log ADD COLUMN scheme text NOT NULL DEFAULT 'sha256' CHECK (scheme IN ('sha256', 'hmac-sha256'));
ALTER TABLE audit_log ALTER COLUMN scheme DROP DEFAULT;
-- The id (not the key) of the key a keyed row was signed with: another key is a mismatch, not an edit.
ALTER TABLE audit_log ADD COLUMN key_id text;

-- Who authenticated the call (a person's token, the admin, or the agent itself for its own
-- calls), apart from the actor the call was made as. Null on rows written before.
ALTER TABLE audit_log ADD COLUMN principal_kind text;
ALTER TABLE audit_log ADD COLUMN principal_id text;
CREATE INDEX audit_log_principal ON audit_log (principal_id, seq);

-- Names this database's chain, so checkpoints (kept outside the database) apply to it alone.
CREATE TABLE audit_chain (
	id text PRIMARY KEY,
	created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_chain (id) VALUES (gen_random_uuid()::text);
