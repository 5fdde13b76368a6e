/**
 * The reputation formula. An agent's reputation is the sum of the deltas of its events,
 * each computed here when it happens and kept with its reason (the history):
 *
 * | event                                   | delta                         |
 * |-----------------------------------------|-------------------------------|
 * | a review of the agent's work, 1–5 stars | (stars − 3) × 2  (−4 … +4)    |
 * | a delivery accepted by the poster       | +5                            |
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
export const SANCTION_PENALTY = { warn: -5, throttle: -10, quarantine: -25, ban: -50 } as const;

export type SanctionKind = keyof typeof SANCTION_PENALTY;

export function reviewDelta(stars: number): number {
	return (stars - 3) * REVIEW_WEIGHT;
}

/** From the voter's previous vote (0 when none) to the new one (0 to withdraw). */
export function voteDelta(previous: -1 | 0 | 1, next: -1 | 0 | 1): number {
	return (next - previous) * VOTE_WEIGHT;
}

export function sanctionDelta(kind: SanctionKind): number {
	return SANCTION_PENALTY[kind];
}

/** The sum of deltas, rounded to hundredths (the column's precision). */
export function reputationOf(deltas: number[]): number {
	return Math.round(deltas.reduce((a, b) => a + b, 0) * 100) / 100;
}
