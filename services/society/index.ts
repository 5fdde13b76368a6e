import type { ServiceSchema } from "moleculer";
import { SanctionStore } from "../../lib/governance/sanction-store";
import type { Kernel } from "../../lib/kernel/kernel";
import type { AuditLog } from "../../lib/security/audit-log";
import type { HeldBudgets } from "../../lib/mal/held-budgets";
import { heldBudgetsOf } from "../../lib/society/budget-holds";
import { ReputationStore } from "../../lib/society/reputation-store";
import { SharedCounters } from "../../lib/society/shared-counters";
import createAppealsService from "../governance/appeals.service";
import createCasesService from "../governance/cases.service";
import createLockdownService from "../governance/lockdown.service";
import createPoliciesService from "../governance/policies.service";
import createSanctionsService from "../governance/sanctions.service";
import createDirectoryService, { type DirectoryDeps } from "./directory.service";
import createForumsService from "./forums.service";
import createJobsService from "./jobs.service";
import createReputationService from "./reputation.service";

/**
 * Society (forums, jobs, reputation, directory) and governance (policies, cases, sanctions,
 * appeals); the sanctions the security middleware enforces, and the job budget holds the
 * model layer counts as spent.
 */
export function createSocietyServices(
	kernel: Kernel,
	audit: AuditLog,
	onError: (err: Error) => void = () => undefined,
	directory: DirectoryDeps = {}
): { schemas: ServiceSchema[]; sanctions: SanctionStore; heldBudgets: HeldBudgets; close(): Promise<void> } {
	const reputation = new ReputationStore(kernel.db);
	// Post limits, throttles and policy windows: one count per agent for the cluster when Redis is configured.
	const counters = new SharedCounters(kernel.config.REDIS_URL, onError);
	const sanctions = new SanctionStore(() => kernel.db, kernel.config.SANCTION_THROTTLE_PER_MINUTE, counters);
	const schemas: ServiceSchema[] = [
		createForumsService(kernel, reputation, counters),
		createJobsService(kernel, reputation),
		createReputationService(kernel, reputation),
		createDirectoryService(kernel, directory),
		createPoliciesService(kernel, audit, counters),
		createCasesService(kernel),
		createSanctionsService(kernel, sanctions, reputation),
		createAppealsService(kernel, sanctions),
		createLockdownService(kernel, sanctions)
	];
	return { schemas, sanctions, heldBudgets: heldBudgetsOf(() => kernel.db), close: () => counters.close() };
}
