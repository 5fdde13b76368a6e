/** How the tasks pages write durations and errors. */

/** The statuses a task does not leave. */
export const ENDED: readonly string[] = ["succeeded", "failed", "cancelled"];

export function duration(ms: number): string {
	if (ms < 1000) return `${ms} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
	return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** How long a task took, or what it is doing while it has not ended. */
export function taskDuration(t: { durationMs: number | null; status: string }): string {
	if (t.durationMs !== null) return duration(t.durationMs);
	return t.status === "suspended" ? "waiting for a person" : t.status === "queued" ? "not started" : "running";
}

/** A task's error as one line: its type and message. */
export function errorText(error: unknown): string {
	if (!error) return "";
	const e = error as { type?: string; message?: string };
	return [e.type, e.message].filter(Boolean).join(": ") || JSON.stringify(error);
}
