import Validator from "fastest-validator";
import type { Context, ServiceSchema } from "moleculer";
import type { ValidateFunction } from "ajv";
import type { AgentTask, Caller } from "./agent-api";
import type { AgentRuntime, RuntimeStatus } from "./agent-runtime";
import type { Envelope, EnvelopeSigner } from "./envelope";
import { checkTask } from "./manifest";
import { TaskStore } from "./task-store";
import type { DurableRuns } from "./durable-runs";
import { childRunId, type ParentStep } from "./child-runs";
import { ParamsInvalidError } from "../lib/kernel/errors";

export interface AskParams {
	task: AgentTask;
	timeoutMs?: number;
	/** Set by agents: proves which agent sent the task. */
	envelope?: Envelope;
	/** Set by the supervisor when it has recorded the task, or names the durable task to run. */
	taskId?: string;
	/** A durable task: written here and run (`start`; `handOver`: answered once written), or taken from the queue (`take`). */
	durable?: DurableAsk;
}

/** How a durable task reaches the agent's actor. */
export type DurableAsk =
	| { mode: "start"; awaited: true; contextId?: string; protocolState?: unknown }
	| { mode: "handOver"; awaited: false; contextId?: string; protocolState?: unknown }
	| { mode: "take"; awaited: boolean };

export interface TellParams {
	task: AgentTask;
	envelope?: Envelope;
}

export interface ActorMeta {
	caller?: Caller;
	user?: { id: string };
	/** Set by the asking agent's ctx bridge when the ask is a step of its durable run. */
	run?: { taskId: string; step?: number };
}

export interface ActorDeps {
	signer: EnvelopeSigner;
	tasks: TaskStore;
	runs: DurableRuns;
	validators: Map<string, ValidateFunction>;
	maxTaskTimeoutMs: number;
}

/**
 * The actions' params, compiled once for every actor of the node. Declared as `params`,
 * Moleculer would compile them again for each agent — most of an in-process agent's
 * memory (~60 KB of ~90 KB).
 */
const validator = new Validator();
const checkAsk = validator.compile({
	task: { type: "object" },
	timeoutMs: { type: "number", integer: true, positive: true, optional: true },
	envelope: { type: "object", optional: true },
	taskId: { type: "string", optional: true },
	durable: { type: "object", optional: true },
	$$strict: false
});
const checkTell = validator.compile({ task: { type: "object" }, envelope: { type: "object", optional: true }, $$strict: false });

function validate(check: ReturnType<typeof validator.compile>, params: unknown): void {
	const result = check(params);
	// The compiled checks are synchronous: a result that is not `true` is the list of problems.
	if (result !== true) throw new ParamsInvalidError("Parameters validation error!", Array.isArray(result) ? result : []);
}

let untracked = 0;

/**
 * The durable run step that asks, when another agent's run asks: only the ctx bridge seals an
 * envelope, and it sets `meta.run` on every call it makes (undefined outside a durable run),
 * so an envelope's `meta.run` is the asking run's own, never one inherited from further up.
 */
function askingStep(ctx: Context<AskParams, ActorMeta>): ParentStep | undefined {
	const run = ctx.meta.run;
	return ctx.params.envelope && run && typeof run.taskId === "string" && typeof run.step === "number" ? { taskId: run.taskId, step: run.step } : undefined;
}

export function actorServiceName(agentId: string): string {
	return `agent.${agentId}`;
}

/**
 * The service `agent.<id>`: the actor's only doors. Its mailbox is its bulkhead and its
 * supervisor its circuit breaker, so Moleculer's own are off for these actions — a
 * retry would run a task twice, and one agent's failing tasks must not open a circuit.
 */
export function createAgentActor(runtime: AgentRuntime, deps: ActorDeps): ServiceSchema {
	const { manifest } = runtime;
	const guards = { bulkhead: { enabled: false }, retryPolicy: { enabled: false }, circuitBreaker: { enabled: false } };

	/** The envelope's agent when there is one (after checking it); else who the call says it is. */
	function sender(ctx: Context<{ envelope?: Envelope; task: AgentTask }, ActorMeta>): { caller: Caller; task: AgentTask } {
		const { envelope } = ctx.params;
		if (envelope) {
			const opened = deps.signer.open(envelope, manifest.id);
			return { caller: { kind: "agent", id: opened.from, node: opened.node }, task: opened.task as AgentTask };
		}
		const caller = ctx.meta.caller ?? (ctx.meta.user ? { kind: "user" as const, id: ctx.meta.user.id } : { kind: "system" as const, id: ctx.nodeID ?? "local" });
		return { caller, task: ctx.params.task };
	}

	return {
		name: actorServiceName(manifest.id),
		metadata: { agent: true, runtime: manifest.runtime },

		actions: {
			ask: {
				...guards,
				permission: "a2a.send",
				timeout: deps.maxTaskTimeoutMs + 5000,
				handler(ctx: Context<AskParams, ActorMeta>): Promise<unknown> {
					validate(checkAsk, ctx.params);
					const { caller, task } = sender(ctx);
					checkTask(manifest, deps.validators, task);
					const { durable, taskId: named } = ctx.params;
					if (durable && named) {
						const options = { parent: ctx, timeoutMs: ctx.params.timeoutMs, awaited: durable.awaited };
						if (durable.mode === "take") return deps.runs.take(runtime, named, options);
						const entry = { id: named, agentId: manifest.id, task, caller, contextId: durable.contextId, protocolState: durable.protocolState };
						// Nobody waits for its end: no parent, whose deadline is the hand-over's (as on the supervisor's own node).
						if (durable.mode === "handOver") return deps.runs.handOver(runtime, entry);
						return deps.runs.start(runtime, entry, options);
					}
					const parent = askingStep(ctx);
					if (parent && manifest.durable !== false) {
						const entry = { id: childRunId(parent), agentId: manifest.id, task, caller, parentTaskId: parent.taskId };
						return deps.runs.child(runtime, entry, parent.step, { parent: ctx, timeoutMs: ctx.params.timeoutMs, awaited: true });
					}
					// An ask nobody recorded needs only a name unique on this node, not a UUID.
					const taskId = named ?? `${manifest.id}:${++untracked}`;
					return runtime.submit("task", task, caller, { taskId, timeoutMs: ctx.params.timeoutMs, parent: ctx });
				}
			},

			tell: {
				...guards,
				permission: "a2a.send",
				async handler(ctx: Context<TellParams, ActorMeta>): Promise<{ taskId: string }> {
					validate(checkTell, ctx.params);
					const { caller, task } = sender(ctx);
					checkTask(manifest, deps.validators, task);
					const taskId = TaskStore.newId();
					if (manifest.durable !== false) {
						await deps.runs.handOver(runtime, { id: taskId, agentId: manifest.id, task, caller }, ctx);
						return { taskId };
					}
					await deps.tasks.runRecorded({ id: taskId, agentId: manifest.id, task, caller }, () => runtime.submit("task", task, caller, { taskId, parent: ctx }), {
						handedOver: true,
						onUnrecorded: err => this.logger.error(`Could not record the outcome of task ${taskId}: ${err.message}`)
					});
					return { taskId };
				}
			},

			status: {
				handler(): RuntimeStatus & { id: string; name: string } {
					return { id: manifest.id, name: manifest.name, ...runtime.status() };
				}
			}
		}
	};
}
