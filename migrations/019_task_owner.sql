-- A task belongs to the identity that sent it, read from its caller column (actors/task-store.ts,
-- ownerSql): a token's task list walks from its own tasks down to their child runs. This index
-- holds each task's owner, written exactly as the query writes it, so that walk starts from
-- the token's tasks instead of reading every row.
CREATE INDEX agent_tasks_owner ON agent_tasks ((COALESCE(caller->>'onBehalfOf', CASE caller->>'kind' WHEN 'agent' THEN 'agent:' || (caller->>'id') WHEN 'system' THEN 'system' WHEN 'user' THEN caller->>'id' END)));
