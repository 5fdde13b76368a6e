import { JOB_MOVES, JOB_STATES, nextState, type JobMove } from "../../lib/society/job-machine";
import { reputationOf, reviewDelta, sanctionDelta, voteDelta } from "../../lib/society/reputation";

describe("the job state machine", () => {
	const job = (state: (typeof JOB_STATES)[number]) => ({ id: "j1", state, posterId: "poster", awardeeId: "worker" });
	const party = { award: "poster", deliver: "worker", accept: "poster", dispute: "poster", cancel: "poster", expire: "system" } as const;

	it("allows exactly the documented moves and refuses every other with a 409", () => {
		const allowed: string[] = [];
		for (const state of JOB_STATES) {
			for (const move of Object.keys(JOB_MOVES) as JobMove[]) {
				try {
					allowed.push(`${state} -${move}-> ${nextState(job(state), move, party[move])}`);
				} catch (err) {
					expect(err).toMatchObject({ code: 409, type: "JOB_TRANSITION_REFUSED", data: { state, move } });
				}
			}
		}
		expect(allowed.sort()).toEqual(
			[
				"awarded -cancel-> cancelled",
				"awarded -deliver-> delivered",
				"awarded -expire-> expired",
				"delivered -accept-> completed",
				"delivered -dispute-> disputed",
				"open -award-> awarded",
				"open -cancel-> cancelled",
				"open -expire-> expired"
			].sort()
		);
	});

	it("lets only the right party move (403 otherwise)", () => {
		expect(() => nextState(job("open"), "award", "worker")).toThrow(expect.objectContaining({ code: 403, type: "NOT_ALLOWED" }));
		expect(() => nextState(job("awarded"), "deliver", "poster")).toThrow(expect.objectContaining({ code: 403 }));
		expect(() => nextState(job("open"), "expire", "poster")).toThrow(expect.objectContaining({ code: 403 }));
	});
});

describe("the reputation formula", () => {
	it("scores reviews, deliveries, votes and sanctions as the README documents", () => {
		expect([1, 2, 3, 4, 5].map(reviewDelta)).toEqual([-4, -2, 0, 2, 4]);
		expect([voteDelta(0, 1), voteDelta(0, -1), voteDelta(1, -1), voteDelta(-1, 0)]).toEqual([0.5, -0.5, -1, 0.5]);
		expect(["warn", "throttle", "quarantine", "ban"].map(k => sanctionDelta(k as "warn"))).toEqual([-5, -10, -25, -50]);
		// An agent with one accepted delivery, a 5-star review, three up-votes and a warning.
		expect(reputationOf([5, reviewDelta(5), voteDelta(0, 1), voteDelta(0, 1), voteDelta(0, 1), sanctionDelta("warn")])).toBe(5.5);
	});
});
