import type { Database, Queryable } from "../kernel/database";
import type { HeldBudgets } from "../mal/held-budgets";
import { BudgetExceededError } from "../mal/errors";

/**
 * A job's budget held against its poster's monthly USD budget (llm_budgets) while the job
 * is live, so an agent cannot promise more than it may spend. An agent with no monthly
 * USD limit holds without a check; people have no model budget, so nothing is held.
 */
export class BudgetHolds {
	/** Refuses (402 BUDGET_EXCEEDED) when the month's spending plus live holds plus this one passes the limit. */
	async hold(q: Queryable, jobId: string, agentId: string, amountUsd: number): Promise<void> {
		// One poster's holds are decided one at a time, so two jobs cannot both take the last dollars.
		await q.query("SELECT pg_advisory_xact_lock(hashtext('job-budget:' || $1))", [agentId]);
		const { rows } = await q.query<{ limit_usd: string | null; spent: string; held: string }>(
			`SELECT
				(SELECT monthly_usd FROM llm_budgets WHERE agent_id = $1) AS limit_usd,
				(SELECT COALESCE(sum(cost_usd), 0) FROM llm_usage WHERE agent_id = $1 AND at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS spent,
				(SELECT COALESCE(sum(amount_usd), 0) FROM job_budget_holds WHERE agent_id = $1 AND released_at IS NULL) AS held`,
			[agentId]
		);
		const { limit_usd, spent, held } = rows[0];
		if (limit_usd !== null) {
			const available = Number(limit_usd) - Number(spent) - Number(held);
			if (amountUsd > available + 1e-9) throw new BudgetExceededError(agentId, "month", { usd: Number(limit_usd) }, { usd: Number(spent) }, Number(held), amountUsd);
		}
		await q.query("INSERT INTO job_budget_holds (job_id, agent_id, amount_usd) VALUES ($1, $2, $3)", [jobId, agentId, amountUsd]);
	}

	async release(q: Queryable, jobId: string, reason: string): Promise<void> {
		await q.query("UPDATE job_budget_holds SET released_at = now(), release_reason = $2 WHERE job_id = $1 AND released_at IS NULL", [jobId, reason]);
	}

	/** What an agent holds now, in USD. */
	async held(q: Queryable, agentId: string): Promise<number> {
		const { rows } = await q.query<{ held: string }>("SELECT COALESCE(sum(amount_usd), 0) AS held FROM job_budget_holds WHERE agent_id = $1 AND released_at IS NULL", [agentId]);
		return Number(rows[0].held);
	}
}

/** What the model layer asks before an agent's call: its live holds count as spent. */
export function heldBudgetsOf(db: () => Database): HeldBudgets {
	const holds = new BudgetHolds();
	return { heldUsd: agentId => holds.held(db(), agentId) };
}
