/**
 * An actor's mailbox: at most `concurrency` jobs run at once and at most `maxQueue`
 * wait; one more is refused at once (Moleculer's bulkhead semantics), so a slow agent
 * pushes back on its callers instead of growing without bound.
 */
export class MailboxFullError extends Error {
	constructor(readonly queued: number) {
		super(`mailbox full (${queued} waiting)`);
	}
}

interface Waiting {
	job: () => Promise<unknown>;
	resolve(value: unknown): void;
	reject(err: unknown): void;
}

export class Mailbox {
	private active = 0;
	private readonly queue: Waiting[] = [];
	private idleWaiters: Array<() => void> = [];

	constructor(
		private readonly concurrency: number,
		private readonly maxQueue: number
	) {}

	get queued(): number {
		return this.queue.length;
	}

	get running(): number {
		return this.active;
	}

	push<T>(job: () => Promise<T>): Promise<T> {
		if (this.active < this.concurrency) return this.run(job);
		if (this.queue.length >= this.maxQueue) return Promise.reject(new MailboxFullError(this.queue.length));
		return new Promise<T>((resolve, reject) => this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject }));
	}

	/** Resolves when nothing runs and nothing waits. */
	idle(): Promise<void> {
		if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
		return new Promise(resolve => this.idleWaiters.push(resolve));
	}

	/** Refuses everything still waiting with `err` (the running jobs finish). */
	rejectQueued(err: Error): void {
		for (const waiting of this.queue.splice(0)) waiting.reject(err);
		this.checkIdle();
	}

	private run<T>(job: () => Promise<T>): Promise<T> {
		this.active++;
		const settled = () => {
			this.active--;
			const next = this.queue.shift();
			if (next) this.run(next.job).then(next.resolve, next.reject);
			else this.checkIdle();
		};
		let promise: Promise<T>;
		try {
			promise = job();
		} catch (err) {
			promise = Promise.reject(err);
		}
		promise.then(settled, settled);
		return promise;
	}

	private checkIdle(): void {
		if (this.active === 0 && this.queue.length === 0) {
			const waiters = this.idleWaiters;
			this.idleWaiters = [];
			for (const resolve of waiters) resolve();
		}
	}
}
