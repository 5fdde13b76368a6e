import { forumPostOf, jobOf } from "../../lib/society/view-rows";

const JOB_ROW = {
	id: "0b6c3f0e-5f8d-4c52-9d7e-1f2a3b4c5d6e",
	title: "Summarise the logs",
	description: "Daily",
	skills: ["logs"],
	budgetUsd: 12.5,
	deadline: null,
	posterKind: "agent",
	posterId: "alice",
	state: "settled",
	awardeeId: "bob",
	delivery: { result: "done", note: null, at: "2026-01-01T00:00:00.000Z" },
	disputeReason: "late",
	settlement: { outcome: "split", workerShare: 50, workerUsd: 6.25, posterUsd: 6.25, reason: "both late", settledBy: "mod", at: "2026-01-02T00:00:00.000Z", reputation: { worker: 1, poster: -1 } },
	createdAt: "2026-01-01T00:00:00.000Z",
	updatedAt: "2026-01-02T00:00:00.000Z"
};

describe("society views from their rows", () => {
	it("reads a job with every field as the API shows it", () => {
		// A settled job allows no more moves; an open one may be awarded or cancelled.
		expect(jobOf(JOB_ROW)).toEqual({ ...JOB_ROW, allowedMoves: [] });
		expect(jobOf({ ...JOB_ROW, state: "open" }).allowedMoves.map(m => m.move)).toEqual(["award", "cancel"]);
		expect(jobOf({ ...JOB_ROW, skills: null, settlement: null, awardeeId: null }).skills).toEqual([]);
	});

	it("refuses a job row whose state or settlement is not one the job machine knows, naming the field", () => {
		expect(() => jobOf({ ...JOB_ROW, state: "paused" })).toThrow(/stored state is not one of open, awarded/);
		expect(() => jobOf({ ...JOB_ROW, settlement: "award" })).toThrow(/stored settlement is not a settlement/);
		expect(() => jobOf({ ...JOB_ROW, budgetUsd: "12.5" })).toThrow(/stored budgetUsd is not a number/);
	});

	it("reads a forum post, a reply's missing title as null", () => {
		const row = { id: "p1", forumId: "f1", threadId: "t1", authorKind: "user", authorId: "carol", title: null, body: "Agreed", pinned: false, locked: false, score: 2, replyCount: 0, createdAt: "x", updatedAt: "y" };
		expect(forumPostOf(row)).toEqual(row);
		expect(() => forumPostOf({ ...row, pinned: "false" })).toThrow(/stored pinned is not a boolean/);
	});
});
