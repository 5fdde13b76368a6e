import { Errors, type CallingOptions, type ServiceBroker } from "moleculer";
import { inputProblem } from "../lib/kernel/input-guard";
import type { Caller } from "./agent-api";
import type { AgentCallPort, TaskOrigin } from "./agent-calls";
import { asObject, ctxMethodsOf, type CtxAgent, type CtxCall, type CtxMethod } from "./ctx-registry";
import type { EnvelopeSigner } from "./envelope";
import { PermissionDeniedError } from "../lib/security/errors";
import { SelfAskError } from "./errors";
import type { AgentManifest } from "./manifest-types";
import type { StateStore } from "./state-store";

export interface BridgeDeps {
	broker: ServiceBroker;
	manifest: AgentManifest;
	signer: EnvelopeSigner;
	state: StateStore;
}

/**
 * The runtime's own ctx methods: messages to other agents (sealed in an envelope, to the
 * target's actor, which needs `a2a.send`) and the agent's private state. Everything else
 * agent code may ask is registered by the layers above (actors/ctx-registry.ts).
 */
function runtimeMethods({ broker, manifest, signer, state }: BridgeDeps): Map<string, CtxMethod["handle"]> {
	const id = manifest.id;
	return new Map<string, CtxMethod["handle"]>([
		[
			"agents.ask",
			([target, task, options], call) => {
				if (String(target) === id && manifest.limits.maxConcurrency <= 1) throw new SelfAskError(id);
				const timeoutMs = asObject(options).timeoutMs as number | undefined;
				const envelope = signer.seal(id, String(target), broker.nodeID, task);
				// The transport may wait a little longer than the task itself, so the agent's own timeout answers first.
				return call(`agent.${String(target)}.ask`, { task, envelope, ...(timeoutMs ? { timeoutMs } : {}) }, timeoutMs ? timeoutMs + 5000 : undefined);
			}
		],
		["agents.send", ([target, task], call) => call(`agent.${String(target)}.tell`, { task, envelope: signer.seal(id, String(target), broker.nodeID, task) })],
		["state.get", ([key]) => state.get(id, String(key))],
		["state.set", ([key, value]) => state.set(id, String(key), value)],
		["state.delete", ([key]) => state.delete(id, String(key))],
		["state.list", () => state.list(id)]
	]);
}

/**
 * What agent code may ask of the cluster: the runtime's own methods and those the node's
 * layers registered (ctxMethodsOf). Every call goes out with the agent's identity in
 * `meta.caller`; the actions it reaches declare the capability they need, and the
 * security middleware checks the agent's grants (and audits) wherever they run. A name
 * that is neither does not exist for agent code: 403 PERMISSION_DENIED.
 */
export function createCtxBridge(deps: BridgeDeps): AgentCallPort {
	const { broker, manifest } = deps;
	const id = manifest.id;
	const own = runtimeMethods(deps);
	const registry = ctxMethodsOf(broker);
	const agent: CtxAgent = { id, manifest, broker };

	const caller: Caller = { kind: "agent", id, node: broker.nodeID, trustLevel: manifest.trustLevel };
	const rootCall: CtxCall = (action, params, timeout) => broker.call(action, params, { meta: { caller }, ...(timeout ? { timeout } : {}) });
	const port = async (method: string, args: unknown[], origin: TaskOrigin | undefined) => {
		const handle = own.get(method) ?? registry.get(method)?.handle;
		if (!handle) throw new PermissionDeniedError(id, method);
		// The input rules, also for what goes straight to the database (ctx.state) rather than through an action.
		const problem = inputProblem(args);
		if (problem) throw problem;
		const list = Array.isArray(args) ? args : [];
		const run = origin?.run;
		if (!origin) return handle(list, rootCall, agent);
		if (!run) return handle(list, (action, params, timeout) => broker.call(action, params, childOf(origin, caller, action, broker.nodeID, { timeout })), agent, origin);
		// A durable run: each action call is a step, replayed from the journal or journaled.
		const durable = { taskId: run.taskId, maxSuspendMs: manifest.limits.maxSuspendMs };
		const call: CtxCall = (action, params, timeout) =>
			run.step(action, params, async ({ step, approvalId }) => broker.call(action, params, childOf(origin, caller, action, broker.nodeID, { timeout, run: { ...durable, step }, approvalId })));
		// The agent's private state goes straight to the database: its calls are steps themselves.
		if (JOURNALED_OWN.has(method)) return run.step(method, { key: list[0] }, () => handle(list, call, agent, origin));
		return handle(list, call, agent, origin);
	};
	return Object.assign(port, { methods: registry.names() });
}

/** The runtime's own methods that reach no action but have an effect or read what changes. */
const JOURNALED_OWN = new Set(["state.get", "state.set", "state.delete", "state.list"]);

interface ChildOptions {
	timeout?: number;
	/**
	 * The durable run the call is step `step` of: an action that needs a person suspends it
	 * rather than wait, and an agent asked makes its task a child run of it (actors/child-runs.ts).
	 */
	run?: { taskId: string; maxSuspendMs: number; step: number };
	/** On resume, the decision the step waited for. */
	approvalId?: string;
}

/**
 * A call as a child of the task's context: the same request id (so audit entries and traces
 * follow the task), the task's context as parent, and no more time than the task has left.
 * The task's meta goes along, but never who the task's caller was: the call is the agent's
 * (a user's token scopes or another agent's grant on it would let the agent act as them).
 * Through `broker.call` with `parentCtx` rather than `ctx.call`, so what the call sets in
 * its meta does not flow back into the task caller's answer.
 */
function childOf(origin: TaskOrigin, caller: Caller, action: string, nodeID: string, { timeout, run, approvalId }: ChildOptions): CallingOptions {
	const left = origin.deadline - Date.now();
	if (left <= 0) throw new Errors.RequestSkippedError({ action, nodeID });
	return { parentCtx: origin.ctx, meta: { caller, user: undefined, grant: undefined, run, approvalId }, timeout: timeout ? Math.min(timeout, left) : left };
}
