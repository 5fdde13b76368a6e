import { firstTick, nextTick, parseCadence } from "../../lib/cluster/schedule";

const at = (iso: string) => new Date(iso);

describe("schedule cadences", () => {
	it("an interval's first tick is one interval from now", () => {
		const cadence = parseCadence({ intervalMs: 60_000 });
		expect(firstTick(cadence, at("2026-01-01T00:00:00Z"))).toEqual(at("2026-01-01T00:01:00Z"));
	});

	it("an interval's next tick follows the due one, keeping the phase", () => {
		const cadence = parseCadence({ intervalMs: 1000 });
		expect(nextTick(cadence, at("2026-01-01T00:00:05Z"), at("2026-01-01T00:00:05.020Z"))).toEqual(at("2026-01-01T00:00:06Z"));
	});

	it("a late interval skips the missed ticks instead of replaying them", () => {
		const cadence = parseCadence({ intervalMs: 1000 });
		// Due at :05, fired at :08.4 (no leader for a while): the next is :09, not :06.
		expect(nextTick(cadence, at("2026-01-01T00:00:05Z"), at("2026-01-01T00:00:08.400Z"))).toEqual(at("2026-01-01T00:00:09Z"));
	});

	it("cron ticks follow the expression in its time zone", () => {
		const cadence = parseCadence({ cron: "0 9 * * 1", timezone: "Europe/Paris" });
		// Monday 5 January 2026, 09:00 in Paris is 08:00 UTC.
		expect(firstTick(cadence, at("2026-01-01T00:00:00Z"))).toEqual(at("2026-01-05T08:00:00Z"));
		expect(nextTick(cadence, at("2026-01-05T08:00:00Z"), at("2026-01-05T08:00:00.100Z"))).toEqual(at("2026-01-12T08:00:00Z"));
	});

	it("cron with seconds, and a late cron skips to the first tick after now", () => {
		const cadence = parseCadence({ cron: "*/5 * * * * *" });
		expect(nextTick(cadence, at("2026-01-01T00:00:05Z"), at("2026-01-01T00:00:05.010Z"))).toEqual(at("2026-01-01T00:00:10Z"));
		expect(nextTick(cadence, at("2026-01-01T00:00:05Z"), at("2026-01-01T00:00:21Z"))).toEqual(at("2026-01-01T00:00:25Z"));
	});

	it("refuses bad input with the field named", () => {
		const fieldOf = (input: Parameters<typeof parseCadence>[0]) => {
			try {
				parseCadence(input);
			} catch (err) {
				return { type: (err as { type: string }).type, field: (err as { data: { field: string } }).data.field, code: (err as { code: number }).code };
			}
			return undefined;
		};
		expect(fieldOf({})).toEqual({ type: "SCHEDULE_INVALID", field: "cron", code: 422 });
		expect(fieldOf({ cron: "* * * * *", intervalMs: 1000 })?.field).toBe("cron");
		expect(fieldOf({ cron: "every day" })?.field).toBe("cron");
		expect(fieldOf({ cron: "* * * * *", timezone: "Mars/Base" })?.field).toBe("timezone");
		expect(fieldOf({ intervalMs: 5 })?.field).toBe("intervalMs");
		expect(fieldOf({ intervalMs: 1.5 })?.field).toBe("intervalMs");
		expect(fieldOf({ intervalMs: 1000, timezone: "UTC" })?.field).toBe("timezone");
	});
});
