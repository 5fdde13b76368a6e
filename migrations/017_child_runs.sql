-- An agent's durable run that asks another agent makes the other agent's task a child run:
-- its id is derived from the parent run and the step, so a step made again (a retry, the
-- parent resumed on another node) finds it instead of starting the work again.
ALTER TABLE agent_tasks ADD COLUMN parent_task_id uuid;
-- A run's children: what its detail shows and what cancelling it cancels.
CREATE INDEX agent_tasks_parent ON agent_tasks (parent_task_id) WHERE parent_task_id IS NOT NULL;
