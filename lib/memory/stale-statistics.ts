/** Rows added before the first refresh, and the growth (a fraction of what was there) that calls for the next. */
const FIRST_AFTER = 2000;
const GROWTH = 0.2;

/**
 * Keeps the embedded database's planner statistics in step with a growing table (it has
 * no autovacuum): after FIRST_AFTER new rows, then whenever the table has grown by a
 * fifth, `refresh` runs in the background, one at a time. On a PostgreSQL server
 * (`enabled` false) autovacuum does this and nothing happens here.
 */
export function staleStatistics(enabled: boolean, refresh: () => Promise<void>, onError: (err: Error) => void = () => undefined) {
	let known = 0;
	let added = 0;
	let running = false;
	return {
		grew(rows: number): void {
			if (!enabled) return;
			added += rows;
			if (running || added < Math.max(FIRST_AFTER, known * GROWTH)) return;
			running = true;
			known += added;
			added = 0;
			refresh()
				.catch(onError)
				.finally(() => {
					running = false;
				});
		}
	};
}
