import { FieldError } from "./errors";
import { settlementDeltas } from "./reputation";

export const SETTLEMENT_OUTCOMES = ["award", "refund", "split"] as const;
export type SettlementOutcome = (typeof SETTLEMENT_OUTCOMES)[number];

/** What a moderator decided on a disputed job, kept on the job. */
export interface Settlement {
	outcome: SettlementOutcome;
	/** The worker's percentage of the budget: 100 for an award, 0 for a refund. */
	workerShare: number;
	workerUsd: number;
	posterUsd: number;
	reason: string;
	settledBy: string;
	at: string;
	/** The reputation each party gained or lost by it. */
	reputation: { worker: number; poster: number };
}

/**
 * The settlement of a disputed job: the worker's share (award 100 %, refund 0 %, split
 * as given, strictly between), the budget divided accordingly (to the cent, the worker's
 * part rounded down) and the reputation deltas (lib/society/reputation.ts).
 */
export function settle(budgetUsd: number, outcome: SettlementOutcome, workerShare: number | undefined, reason: string, settledBy: string): Settlement {
	if (outcome !== "split" && workerShare !== undefined) {
		throw new FieldError("workerShare", `"workerShare" is only for a split; an ${outcome} gives the worker ${outcome === "award" ? 100 : 0} %`);
	}
	if (outcome === "split" && (workerShare === undefined || !(workerShare > 0 && workerShare < 100))) {
		throw new FieldError("workerShare", `A split needs "workerShare", the worker's percentage, between 0 and 100 (exclusive)${workerShare === undefined ? "" : `, not ${workerShare}`}`);
	}
	const share = outcome === "award" ? 100 : outcome === "refund" ? 0 : workerShare!;
	// Rounded to micro-dollars first, so 0.29 × 100 is 29 cents, not 28.
	const workerUsd = Math.floor(Math.round(budgetUsd * share * 1e6) / 1e6) / 100;
	const posterUsd = Math.round((budgetUsd - workerUsd) * 100) / 100;
	return { outcome, workerShare: share, workerUsd, posterUsd, reason, settledBy, at: new Date().toISOString(), reputation: settlementDeltas(share / 100) };
}
