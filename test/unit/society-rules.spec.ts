import { allowedMoves, JOB_MOVES, JOB_STATES, nextState, type JobMove } from "../../lib/society/job-machine";
import { reputationOf, reviewDelta, sanctionDelta, settlementDeltas, voteDelta } from "../../lib/society/reputation";
import { settle } from "../../lib/society/settlement";

describe("the job state machine", () => {
	const job = (state: (typeof JOB_STATES)[number]) => ({ id: "j1", state, posterId: "poster", awardeeId: "worker" });
	const party = { award: "poster", deliver: "worker", accept: "poster", dispute: "poster", settle: { id: "mod", moderator: true }, cancel: "poster", expire: "system" } as const;

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
				"disputed -settle-> settled",
				"open -award-> awarded",
				"open -cancel-> cancelled",
				"open -expire-> expired"
			].sort()
		);
	});

	it("offers in each state exactly the moves nextState accepts, with who may make them (expiry is the system's)", () => {
		expect(Object.fromEntries(JOB_STATES.map(state => [state, allowedMoves(state).map(m => `${m.move}->${m.to} by ${m.by}`)]))).toEqual({
			open: ["award->awarded by poster", "cancel->cancelled by poster"],
			awarded: ["deliver->delivered by awardee", "cancel->cancelled by poster"],
			delivered: ["accept->completed by poster", "dispute->disputed by poster"],
			disputed: ["settle->settled by moderator"],
			completed: [],
			settled: [],
			cancelled: [],
			expired: []
		});
		for (const state of JOB_STATES) {
			for (const { move, to } of allowedMoves(state)) expect(nextState(job(state), move, party[move])).toBe(to);
		}
	});

	it("lets only the right party move (403 otherwise)", () => {
		expect(() => nextState(job("open"), "award", "worker")).toThrow(expect.objectContaining({ code: 403, type: "NOT_ALLOWED" }));
		expect(() => nextState(job("awarded"), "deliver", "poster")).toThrow(expect.objectContaining({ code: 403 }));
		expect(() => nextState(job("open"), "expire", "poster")).toThrow(expect.objectContaining({ code: 403 }));
	});

	it("lets only a moderator who is no party to the job settle it", () => {
		expect(() => nextState(job("disputed"), "settle", "poster")).toThrow(expect.objectContaining({ code: 403, type: "NOT_ALLOWED", message: "Only a moderator may settle job j1" }));
		expect(() => nextState(job("disputed"), "settle", { id: "mod" })).toThrow(expect.objectContaining({ code: 403 }));
		for (const id of ["poster", "worker"]) {
			expect(() => nextState(job("disputed"), "settle", { id, moderator: true })).toThrow(expect.objectContaining({ code: 403, message: expect.stringContaining(`${id} is a party to job j1`) }));
		}
		// The state is checked first: settling a delivered (not disputed) job is a 409 naming its state, for anyone.
		expect(() => nextState(job("delivered"), "settle", "worker")).toThrow(expect.objectContaining({ code: 409, message: "Cannot settle job j1: it is delivered (settle needs disputed)" }));
		expect(nextState(job("disputed"), "settle", { id: "mod", moderator: true })).toBe("settled");
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

	it("scores a settlement by the worker's share: award, refund and split", () => {
		expect(settlementDeltas(1)).toEqual({ worker: 5, poster: -2 });
		expect(settlementDeltas(0)).toEqual({ worker: -5, poster: 0 });
		expect(settlementDeltas(0.7)).toEqual({ worker: 2, poster: -1.4 });
		expect(settlementDeltas(0.5)).toEqual({ worker: 0, poster: -1 });
		expect(settlementDeltas(0.33)).toEqual({ worker: -1.7, poster: -0.66 });
	});
});

describe("a settlement", () => {
	it("divides the budget by the outcome, to the cent", () => {
		expect(settle(2, "award", undefined, "done right", "mod")).toMatchObject({ outcome: "award", workerShare: 100, workerUsd: 2, posterUsd: 0, reputation: { worker: 5, poster: -2 } });
		expect(settle(2, "refund", undefined, "not done", "mod")).toMatchObject({ workerShare: 0, workerUsd: 0, posterUsd: 2, reputation: { worker: -5, poster: 0 } });
		expect(settle(2.5, "split", 33, "half done", "mod")).toMatchObject({ workerShare: 33, workerUsd: 0.82, posterUsd: 1.68 });
		expect(settle(0.29, "split", 50, "half", "mod")).toMatchObject({ workerUsd: 0.14, posterUsd: 0.15 });
		expect(settle(1, "split", 29, "some", "mod").workerUsd).toBe(0.29);
	});

	it("refuses a share that does not fit the outcome, naming workerShare", () => {
		for (const [outcome, share] of [["split", undefined], ["split", 0], ["split", 100], ["award", 50], ["refund", 0]] as const) {
			expect(() => settle(1, outcome, share, "x", "mod")).toThrow(expect.objectContaining({ code: 422, data: [expect.objectContaining({ field: "workerShare" })] }));
		}
	});
});
