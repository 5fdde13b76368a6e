-- The embedding model that made each memory's vector: a search compares a query's vector
-- only with vectors of its own model, and `agent-os memory reindex` re-embeds the others.
ALTER TABLE memories ADD COLUMN embedding_model text;
-- Rows written before were made by the default of their time: a 384-long vector by the
-- offline embedder, a 1536-long one by text-embedding-3-small. Any other length came from
-- a model LLM_EMBEDDING_MODEL named then, which no row says: 'unknown' until reindexed.
UPDATE memories SET embedding_model = CASE dims WHEN 384 THEN 'offline-hash-384' WHEN 1536 THEN 'text-embedding-3-small' ELSE 'unknown' END;
ALTER TABLE memories ALTER COLUMN embedding_model SET NOT NULL;
-- Reindexing finds the rows of another model without reading every vector.
CREATE INDEX memories_embedding_model ON memories (embedding_model, agent_id);
