import type { ServiceSchema } from "moleculer";
import { DatabaseUnavailableError } from "../lib/kernel/errors";
import type { Kernel } from "../lib/kernel/kernel";

/**
 * For services whose every action needs the database: until it is migrated they answer
 * a retryable 503 saying why, instead of failing obscurely on a missing table.
 */
export function requiresDatabase(kernel: Kernel): Partial<ServiceSchema> {
	return {
		hooks: {
			before: {
				"*"() {
					const db = kernel.databaseStatus();
					if (db.state !== "ready") throw new DatabaseUnavailableError(db.error ?? `the database is ${db.state}`);
				}
			}
		}
	};
}
