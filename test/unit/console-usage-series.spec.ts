import { seriesOf, type UsageRow } from "../../dashboard/pages/usage-series";

/** The Models page's charts: usage rows per bucket become uPlot columns over the whole range. */
describe("the console's usage series", () => {
	const row = (at: string, key: string, costUsd: number, totalTokens = 10): UsageRow => ({ at, key, calls: 1, totalTokens, costUsd });
	const since = Date.parse("2026-03-01T10:00:30Z");
	const now = Date.parse("2026-03-01T10:04:10Z");

	it("has a point for every bucket of the range, zero where nothing was spent, and one series per key", () => {
		const rows = [row("2026-03-01T10:01:00Z", "openai/gpt-4o", 0.5), row("2026-03-01T10:03:00Z", "openai/gpt-4o", 0.25), row("2026-03-01T10:03:00Z", "anthropic/haiku", 0.1)];
		const { series, data } = seriesOf(rows, "costUsd", "minute", since, now);
		expect(series).toEqual([{ label: "anthropic/haiku" }, { label: "openai/gpt-4o" }]);
		expect(data[0]).toEqual([0, 1, 2, 3, 4].map(m => Date.parse(`2026-03-01T10:0${m}:00Z`) / 1000));
		expect(data[1]).toEqual([0, 0, 0, 0.1, 0]);
		expect(data[2]).toEqual([0, 0.5, 0, 0.25, 0]);
	});

	it("charts tokens as well as cost, in hour and day buckets, and leaves out rows outside the range", () => {
		const rows = [row("2026-02-27T00:00:00Z", "ana", 1, 40), row("2026-03-01T00:00:00Z", "ana", 1, 70), row("2026-03-09T00:00:00Z", "ana", 1, 5)];
		const { data } = seriesOf(rows, "totalTokens", "day", Date.parse("2026-02-28T12:00:00Z"), Date.parse("2026-03-02T01:00:00Z"));
		expect(data).toEqual([[Date.parse("2026-02-28T00:00:00Z") / 1000, Date.parse("2026-03-01T00:00:00Z") / 1000, Date.parse("2026-03-02T00:00:00Z") / 1000], [0, 70, 0]]);
		expect(seriesOf([], "costUsd", "hour", since, now)).toEqual({ series: [], data: [[Date.parse("2026-03-01T10:00:00Z") / 1000]] });
	});
});
