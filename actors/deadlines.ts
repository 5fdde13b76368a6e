/**
 * Task deadlines checked by one coarse sweep instead of a timer per task: a timer costs
 * about as much as a whole in-process task, and deadlines need no better than the sweep
 * interval's precision.
 */
export class Deadlines {
	private readonly entries = new Set<{ at: number; expire(): void }>();
	private timer: NodeJS.Timeout | undefined;

	constructor(private readonly sweepMs = 10) {}

	/** Calls `expire` once `ms` have passed, unless the returned cancel is called first. */
	add(ms: number, expire: () => void): () => void {
		const entry = { at: Date.now() + ms, expire };
		this.entries.add(entry);
		if (!this.timer) {
			this.timer = setInterval(() => this.sweep(), this.sweepMs);
			this.timer.unref();
		}
		return () => void this.entries.delete(entry);
	}

	private sweep(): void {
		const now = Date.now();
		for (const entry of this.entries) {
			if (entry.at <= now) {
				this.entries.delete(entry);
				entry.expire();
			}
		}
		if (this.entries.size === 0) {
			clearInterval(this.timer);
			this.timer = undefined;
		}
	}
}

/** One sweep for all the agents of a node. */
export const taskDeadlines = new Deadlines();
