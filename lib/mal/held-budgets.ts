/**
 * USD an agent has promised elsewhere out of its monthly budget — the budgets of the jobs it
 * has posted and not yet finished — which its model calls may not spend as well. The model
 * layer does not know jobs: the society implements this and it is handed in at composition.
 */
export interface HeldBudgets {
	/** USD the agent holds now; 0 when it holds nothing. */
	heldUsd(agentId: string): Promise<number>;
}
