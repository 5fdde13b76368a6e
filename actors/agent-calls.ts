/**
 * The one door from agent code to the cluster, whatever the worker: in-node workers call
 * it directly, process and container workers through their channel. A call runs for a
 * task (a child of the task's Moleculer context, within its time) or, from onStart and
 * onStop, for no task.
 */
import { Errors, type Context } from "moleculer";
import type { Caller } from "../lib/kernel/caller";
import type { TaskRun } from "./task-run";

/** The task a ctx call runs for: the context the task came in with, when its time is up, and its durable run. */
export interface TaskOrigin {
	/** Absent for a run resumed after a crash: nobody's request is waiting on it here. */
	ctx?: Context;
	/** Epoch ms; calls made after it are refused. */
	deadline: number;
	/** The run's journal: its calls are replayed from it or journaled in it. */
	run?: TaskRun;
	/** Who sent the task: whose chat session `ctx.memory.history` keeps when the agent names none. */
	caller?: Caller;
}

/** Answers one ctx call of agent code, as a child of `origin` when it runs for a task. */
export interface AgentCallPort {
	(method: string, args: unknown[], origin: TaskOrigin | undefined): Promise<unknown>;
	/**
	 * The methods the node's layers registered (`memory.store`, `society.forums.post`…), from
	 * which the worker builds agent code's ctx beside the runtime's own; none when absent.
	 */
	readonly methods?: readonly string[];
}

/**
 * Errors a ctx call answered with (a budget refusal, a missing grant, a sanction, a
 * timeout). When agent code lets one through, the task's caller gets it as it is — its
 * type, code, data and `retryable` — rather than the generic AGENT_TASK_FAILED that
 * anything else the agent throws becomes. Weak: an error nobody holds is forgotten.
 */
const fromCluster = new WeakSet<Error>();

/** Marks a Moleculer error so a task that fails with it answers with it unchanged. */
export function keepIdentity<T>(err: T): T {
	if (err instanceof Errors.MoleculerError) fromCluster.add(err);
	return err;
}

export function keepsIdentity(err: unknown): err is Errors.MoleculerError {
	return err instanceof Errors.MoleculerError && fromCluster.has(err);
}
