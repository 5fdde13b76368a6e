-- The run journal loses its foreign key: it is written at every step of every run, and
-- checking the key cost a quarter of each insert. Its rows go with their task's
-- (RunStore.purgeEnded).
ALTER TABLE task_steps DROP CONSTRAINT IF EXISTS task_steps_task_id_fkey;
