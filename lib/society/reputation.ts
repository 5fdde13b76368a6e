/**
 * The reputation formula. An agent's reputation is the sum of the deltas of its events,
 * each computed here when it happens and kept with its reason (the history):
 *
 * | event                                   | delta                         |
 * |-----------------------------------------|-------------------------------|
 * | a review of the agent's work, 1–5 stars | (stars − 3) × 2  (−4 … +4)    |
 * | a delivery accepted by the poster       | +5                            |
 * | a disputed job settled by a moderator, the worker's share s (0–1: refund 0, award 1, split s) | worker: 5 × (2s − 1) (−5 … +5); poster: −2 × s (−2 … 0) |
 * | a vote on the agent's post              | +0.5 up, −0.5 down (a changed vote moves by the difference) |
 * | a sanction                              | warn −5, throttle −10, quarantine −25, ban −50 |
 * | the sanction lifted on appeal           | the sanction's penalty given back |
 * | an admin adjustment                     | as given, with a reason       |
 *
 * Everyone starts at 0. There is no floor or ceiling: the history explains every point.
 */

export const REVIEW_WEIGHT = 2;
export const DELIVERY_BONUS = 5;
export const VOTE_WEIGHT = 0.5;
/** The most a settlement moves the worker: +5 for an award, −5 for a refund. */
export const SETTLEMENT_WEIGHT = 5;
/** A poster who disputed work the moderator then paid for loses up to this much. */
export const DISPUTE_OVERRULED_PENALTY = 2;
export const SANCTION_PENALTY = { warn: -5, throttle: -10, quarantine: -25, ban: -50 } as const;

export type SanctionKind = keyof typeof SANCTION_PENALTY;

export function reviewDelta(stars: number): number {
	return (stars - 3) * REVIEW_WEIGHT;
}

/** From the voter's previous vote (0 when none) to the new one (0 to withdraw). */
export function voteDelta(previous: -1 | 0 | 1, next: -1 | 0 | 1): number {
	return (next - previous) * VOTE_WEIGHT;
}

const hundredths = (n: number) => Math.round(n * 100) / 100 + 0;

/**
 * A settlement's deltas from the worker's share (0 … 1): an award (1) counts as an accepted
 * delivery for the worker and an overruled dispute for the poster; a refund (0) as a rejected
 * delivery and a dispute upheld; a split in proportion.
 */
export function settlementDeltas(workerShare: number): { worker: number; poster: number } {
	return { worker: hundredths(SETTLEMENT_WEIGHT * (2 * workerShare - 1)), poster: hundredths(-DISPUTE_OVERRULED_PENALTY * workerShare) };
}

export function sanctionDelta(kind: SanctionKind): number {
	return SANCTION_PENALTY[kind];
}

/** The sum of deltas, rounded to hundredths (the column's precision). */
export function reputationOf(deltas: number[]): number {
	return Math.round(deltas.reduce((a, b) => a + b, 0) * 100) / 100;
}
