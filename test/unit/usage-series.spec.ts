import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { UsageStore } from "../../lib/mal/usage-store";
import { seededDataDir } from "../support/pgdata-template";

/** Usage over time, as the console's Models page charts it: one row per group and bucket. */
describe("model usage as a time series", () => {
	let db: PgliteDatabase;
	let dir: string | undefined;
	let usage: UsageStore;
	const call = (at: string, agent: string | null, model: string, tokens: number, usd: number) =>
		db.query(
			"INSERT INTO llm_usage (at, agent_id, provider, model, kind, prompt_tokens, completion_tokens, cost_usd, latency_ms, request_id) VALUES ($1, $2, 'openai', $3, 'chat', $4, 0, $5, 10, 'r')",
			[at, agent, model, tokens, usd]
		);

	beforeAll(async () => {
		dir = await seededDataDir();
		db = await PgliteDatabase.open(dir);
		await db.exec(readFileSync(path.join(__dirname, "../../migrations/003_llm.sql"), "utf8"));
		usage = new UsageStore(db);
		await call("2026-03-01T10:05:00Z", "ana", "gpt-4o", 100, 0.5);
		await call("2026-03-01T10:40:00Z", "ana", "gpt-4o", 50, 0.25);
		await call("2026-03-01T10:41:00Z", "ben", "gpt-4o-mini", 10, 0.01);
		await call("2026-03-01T12:00:00Z", "ana", "gpt-4o-mini", 20, 0.02);
		await call("2026-03-02T09:00:00Z", null, "gpt-4o", 5, 0.005);
	}, 60_000);
	afterAll(async () => {
		await db?.close();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	const window = { since: new Date("2026-03-01T00:00:00Z"), until: new Date("2026-03-03T00:00:00Z") };

	it("totals each model in each hour, oldest first, with the bucket's start in UTC", async () => {
		const rows = await usage.totals({ ...window, groupBy: "model", bucket: "hour" });
		expect(rows.map(r => [r.at, r.key, r.calls, r.totalTokens, r.costUsd])).toEqual([
			["2026-03-01T10:00:00Z", "openai/gpt-4o", 2, 150, 0.75],
			["2026-03-01T10:00:00Z", "openai/gpt-4o-mini", 1, 10, 0.01],
			["2026-03-01T12:00:00Z", "openai/gpt-4o-mini", 1, 20, 0.02],
			["2026-03-02T09:00:00Z", "openai/gpt-4o", 1, 5, 0.005]
		]);
	});

	it("totals each agent in each day, and keeps one agent's series apart when asked", async () => {
		const rows = await usage.totals({ ...window, groupBy: "agent", bucket: "day" });
		expect(rows.map(r => [r.at, r.key, r.calls])).toEqual([
			["2026-03-01T00:00:00Z", "ana", 3],
			["2026-03-01T00:00:00Z", "ben", 1],
			["2026-03-02T00:00:00Z", "(none)", 1]
		]);
		const ana = await usage.totals({ ...window, agentId: "ana", groupBy: "model", bucket: "minute" });
		expect(ana.map(r => r.at)).toEqual(["2026-03-01T10:05:00Z", "2026-03-01T10:40:00Z", "2026-03-01T12:00:00Z"]);
	});

	it("starts a series an hour back for minutes when no since is given, and answers plain totals without a bucket as before", async () => {
		await usage.record({ agentId: "ana", provider: "openai", model: "gpt-4o", kind: "chat", promptTokens: 7, completionTokens: 3, costUsd: 0.1, latencyMs: 5, requestId: "now" });
		const recent = await usage.totals({ groupBy: "agent", bucket: "minute" });
		expect(recent).toEqual([{ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/), key: "ana", calls: 1, promptTokens: 7, completionTokens: 3, totalTokens: 10, costUsd: 0.1 }]);
		const plain = await usage.totals({ ...window, groupBy: "agent" });
		expect(plain[0]).toEqual({ key: "(none)", calls: 1, promptTokens: 5, completionTokens: 0, totalTokens: 5, costUsd: 0.005 });
	});
});
