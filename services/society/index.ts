import type { ServiceSchema } from "moleculer";
import { SanctionStore } from "../../lib/governance/sanction-store";
import type { Kernel } from "../../lib/kernel/kernel";
import type { AuditLog } from "../../lib/security/audit-log";
import type { HeldBudgets } from "../../lib/mal/held-budgets";
import { heldBudgetsOf } from "../../lib/society/budget-holds";
import { ReputationStore } from "../../lib/society/reputation-store";
import createAppealsService from "../governance/appeals.service";
import createCasesService from "../governance/cases.service";
import createPoliciesService from "../governance/policies.service";
import createSanctionsService from "../governance/sanctions.service";
import createDirectoryService from "./directory.service";
import createForumsService from "./forums.service";
import createJobsService from "./jobs.service";
import createReputationService from "./reputation.service";

/**
 * Society (forums, jobs, reputation, directory) and governance (policies, cases, sanctions,
 * appeals); the sanctions the security middleware enforces, and the job budget holds the
 * model layer counts as spent.
 */
export function createSocietyServices(kernel: Kernel, audit: AuditLog): { schemas: ServiceSchema[]; sanctions: SanctionStore; heldBudgets: HeldBudgets } {
	const reputation = new ReputationStore(kernel.db);
	const sanctions = new SanctionStore(() => kernel.db, kernel.config.SANCTION_THROTTLE_PER_MINUTE);
	const schemas = [
		createForumsService(kernel, reputation),
		createJobsService(kernel, reputation),
		createReputationService(kernel, reputation),
		createDirectoryService(kernel),
		createPoliciesService(kernel, audit),
		createCasesService(kernel),
		createSanctionsService(kernel, sanctions, reputation),
		createAppealsService(kernel, sanctions)
	] as ServiceSchema[];
	return { schemas, sanctions, heldBudgets: heldBudgetsOf(() => kernel.db) };
}
