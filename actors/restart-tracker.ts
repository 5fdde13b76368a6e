import type { RestartPolicy } from "./manifest-types";

export interface RestartDecision {
	/** Wait this long before starting again. */
	delayMs: number;
	/** Too many restarts in the window: give up and move to `crashed`. */
	giveUp: boolean;
	/** Restarts within the window, this one included. */
	recent: number;
}

/**
 * Counts restarts in a sliding window and spaces them out exponentially:
 * base · factor^(n-1), capped at maxDelayMs, where n is the restarts in the window.
 */
export class RestartTracker {
	private times: number[] = [];
	total = 0;

	constructor(private readonly policy: RestartPolicy) {}

	next(now = Date.now()): RestartDecision {
		this.times = this.times.filter(t => now - t < this.policy.windowMs);
		this.times.push(now);
		this.total++;
		const recent = this.times.length;
		const delayMs = Math.min(this.policy.baseDelayMs * this.policy.factor ** (recent - 1), this.policy.maxDelayMs);
		return { delayMs, giveUp: recent > this.policy.maxRestarts, recent };
	}

	reset(): void {
		this.times = [];
	}
}
