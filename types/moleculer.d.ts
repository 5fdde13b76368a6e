/**
 * The schema keys AgentOS adds to Moleculer actions, declared once here so services
 * stay fully typed (Moleculer 0.15 refuses unknown keys at compile time). The types
 * live in moleculer/src/service, whose `export =` namespace merges with this block.
 */
import "moleculer/src/service";

declare module "moleculer/src/service" {
	// The type parameter must repeat the original declaration's for the merge to apply.
	// eslint-disable-next-line @typescript-eslint/no-unused-vars
	interface ActionSchema<TThis> {
		/** moleculer-web auto-alias, e.g. `"GET /agents/:id"`. */
		rest?: string | string[];
		/** One sentence for people and models: what the action does. */
		description?: string;
		/** The action's own default timeout (Moleculer reads it; its typings omit it). */
		timeout?: number;
		/** The capability an agent needs to call it (lib/security/capabilities.ts). */
		permission?: import("../lib/security/capabilities").Capability;
		/** The token scope a REST caller needs; none means `admin`. */
		scope?: import("../lib/security/capabilities").Scope;
		/** Recorded in the audit log (actions with a `permission` always are). */
		audit?: boolean;
		/**
		 * Offered to agents as a tool `action:<name>` (needs a `description`; params become its
		 * JSON Schema). `{ caller: "agentId" }` names the param that is always the calling
		 * agent's own id: the model is not offered it, and whatever it sends there is replaced.
		 */
		tool?: boolean | { caller: string };
		/** Waits for a person's approval: always, or when the calling agent is supervised. */
		approval?: "always" | "supervised";
	}
}
