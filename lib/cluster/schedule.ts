/**
 * When a scheduled job fires: a cron expression (croner; five fields, or six with
 * seconds, in a time zone) or a fixed interval. Ticks are instants; the leader fires the
 * tick that is due and moves the job to the next one, skipping ticks missed while no
 * node could fire (at most one late run after a failover, never a burst).
 */
import { Cron } from "croner";
import { ScheduleInvalidError } from "./errors";

export type Cadence = { kind: "cron"; cron: string; timezone: string } | { kind: "interval"; intervalMs: number };

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 366 * 24 * 3600 * 1000;

/** A cadence from a request's `cron`/`timezone`/`intervalMs`, or a 422 naming the field. */
export function parseCadence(input: { cron?: string; timezone?: string; intervalMs?: number }): Cadence {
	const { cron, timezone, intervalMs } = input;
	if ((cron === undefined) === (intervalMs === undefined)) {
		throw new ScheduleInvalidError("cron", "Give exactly one of cron (a cron expression) and intervalMs (milliseconds between runs)");
	}
	if (intervalMs !== undefined) {
		if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
			throw new ScheduleInvalidError("intervalMs", `intervalMs must be a whole number of milliseconds from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} (got ${intervalMs})`);
		}
		if (timezone !== undefined) throw new ScheduleInvalidError("timezone", "timezone goes with cron, not with intervalMs");
		return { kind: "interval", intervalMs };
	}
	const cadence: Cadence = { kind: "cron", cron: cron!.trim(), timezone: timezone ?? "UTC" };
	try {
		new Cron(cadence.cron, { paused: true });
	} catch (err) {
		throw new ScheduleInvalidError("cron", `cron is not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, "")}`);
	}
	try {
		cronOf(cadence).nextRun(new Date());
	} catch {
		throw new ScheduleInvalidError("timezone", `timezone must be an IANA time zone such as UTC or Europe/Paris (got ${JSON.stringify(cadence.timezone)})`);
	}
	if (!cronOf(cadence).nextRun(new Date())) throw new ScheduleInvalidError("cron", "cron never fires again");
	return cadence;
}

function cronOf(cadence: Extract<Cadence, { kind: "cron" }>): Cron {
	return new Cron(cadence.cron, { paused: true, timezone: cadence.timezone });
}

/** The first tick of a new (or resumed) job: one interval from now, or the cron's next instant. */
export function firstTick(cadence: Cadence, now: Date): Date | null {
	return cadence.kind === "interval" ? new Date(now.getTime() + cadence.intervalMs) : cronOf(cadence).nextRun(now);
}

/**
 * The tick after `due` that is still ahead of `now`: the next one, or — when the job is
 * late (no leader for a while) — the first one after now, so missed ticks are not
 * replayed. Intervals keep their phase. Null when a cron never fires again.
 */
export function nextTick(cadence: Cadence, due: Date, now: Date): Date | null {
	if (cadence.kind === "interval") {
		const behind = Math.max(0, now.getTime() - due.getTime());
		const steps = Math.floor(behind / cadence.intervalMs) + 1;
		return new Date(due.getTime() + steps * cadence.intervalMs);
	}
	return cronOf(cadence).nextRun(due.getTime() >= now.getTime() ? due : now);
}
