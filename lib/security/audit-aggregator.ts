import type { AuditEvent } from "./audit-rows";

/** Distinct details named in an aggregated row; the rest are counted as `other`. */
const MAX_DETAILS = 20;
const RETRY_MS = 1000;

interface Window {
	event: AuditEvent;
	from: Date;
	count: number;
	details: Map<string, number>;
	timer?: NodeJS.Timeout;
}

/**
 * Folds a flood of like events (anonymous refusals from one address) into one entry per
 * key and window, with the exact count, written when the window ends (or at stop).
 */
export class AuditAggregator {
	private readonly windows = new Map<string, Window>();

	constructor(
		private readonly record: (event: AuditEvent) => void,
		private readonly windowMs: number,
		private readonly onError: (err: Error) => void
	) {}

	get open(): number {
		return this.windows.size;
	}

	/** Counts `event` under `key`; the window's entry is the first event, with `count`, `from`, `until` and per-`detail` counts in its data. */
	add(key: string, event: AuditEvent, detail: string): void {
		let w = this.windows.get(key);
		if (!w) {
			w = { event, from: event.at ?? new Date(), count: 0, details: new Map() };
			this.windows.set(key, w);
			this.schedule(key, w, this.windowMs);
		}
		w.count++;
		if (w.details.has(detail) || w.details.size < MAX_DETAILS) w.details.set(detail, (w.details.get(detail) ?? 0) + 1);
		else w.details.set("other", (w.details.get("other") ?? 0) + 1);
	}

	/** Writes every open window now (at stop: nothing counted is lost). */
	flushAll(): void {
		for (const [key, w] of [...this.windows]) this.close(key, w);
	}

	private schedule(key: string, w: Window, ms: number): void {
		clearTimeout(w.timer);
		w.timer = setTimeout(() => this.close(key, w), ms);
		w.timer.unref();
	}

	private close(key: string, w: Window): void {
		clearTimeout(w.timer);
		try {
			this.record({ ...w.event, at: w.from, data: { ...w.event.data, count: w.count, from: w.from.toISOString(), until: new Date().toISOString(), by: Object.fromEntries(w.details) } });
			this.windows.delete(key);
		} catch (err) {
			// The audit buffer is full: keep counting in this window and try again.
			this.onError(err as Error);
			this.schedule(key, w, RETRY_MS);
		}
	}
}
