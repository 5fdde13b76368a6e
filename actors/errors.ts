/**
 * The agent runtime's errors, each with a fixed UPPER_SNAKE `type` and HTTP-like `code`.
 * A caller's mistake is a client error (4xx, never retried); a condition that may pass
 * on its own (a full mailbox, a crashed worker, a timeout) is retryable.
 */
import { Errors } from "moleculer";

/** One bad field of a manifest or task: `field` is a dotted path, "" for the whole value. */
export interface FieldProblem {
	field: string;
	message: string;
}

/** What an agent's own code threw, without its stack (which would leak host paths). */
export interface AgentErrorSummary {
	name: string;
	message: string;
}

export type ManifestSignatureProblem = "missing" | "mismatch";

/** Thrown by parseManifest (or a later manifest check) when a manifest breaks a rule; `data.fields` lists every bad field. */
export class ManifestInvalidError extends Errors.MoleculerClientError {
	constructor(message: string, fields: FieldProblem[]) {
		super(message, 422, "MANIFEST_INVALID", { fields });
		this.name = "ManifestInvalidError";
	}
}

/** Thrown when a manifest that must be signed has no signature, or one that does not match its content. */
export class ManifestSignatureError extends Errors.MoleculerClientError {
	constructor(reason: ManifestSignatureProblem) {
		super(
			reason === "missing"
				? "The manifest has no signature; sign it with the agent signing secret"
				: "The manifest signature does not match its content (it was changed after signing, or signed with another secret)",
			422,
			"MANIFEST_SIGNATURE_INVALID",
			{ reason }
		);
		this.name = "ManifestSignatureError";
	}
}

/** Thrown by checkTask when a task is not an object with a `type`, its type is not accepted, or it fails the type's schema. */
export class TaskInvalidError extends Errors.MoleculerClientError {
	constructor(message: string, fields: FieldProblem[]) {
		super(message, 422, "TASK_INVALID", { fields });
		this.name = "TaskInvalidError";
	}
}

/** Thrown when no agent with this id is registered. */
export class AgentNotFoundError extends Errors.MoleculerClientError {
	constructor(agentId: string) {
		super(`Agent ${agentId} not found`, 404, "AGENT_NOT_FOUND", { agentId });
		this.name = "AgentNotFoundError";
	}
}

/** Thrown when registering an agent whose id is already taken. */
export class AgentExistsError extends Errors.MoleculerClientError {
	constructor(agentId: string) {
		super(`Agent ${agentId} already exists`, 409, "AGENT_EXISTS", { agentId });
		this.name = "AgentExistsError";
	}
}

/** Thrown when a task or command needs a running agent and the agent is in another state. */
export class AgentNotRunningError extends Errors.MoleculerClientError {
	constructor(agentId: string, state: string) {
		super(`Agent ${agentId} is not running (it is ${state})`, 409, "AGENT_NOT_RUNNING", { agentId, state });
		this.name = "AgentNotRunningError";
	}
}

/** Thrown when an agent's mailbox is full; retry after a while. */
export class AgentBusyError extends Errors.MoleculerRetryableError {
	constructor(agentId: string, queued: number, maxQueue: number) {
		super(`Agent ${agentId} is busy: ${queued} tasks are waiting (limit ${maxQueue})`, 429, "AGENT_BUSY", {
			agentId,
			queued,
			maxQueue
		});
		this.name = "AgentBusyError";
	}
}

/** Thrown when a task runs past its time limit; the worker is stopped, so a retry starts afresh. */
export class TaskTimeoutError extends Errors.MoleculerRetryableError {
	constructor(agentId: string, taskId: string, timeoutMs: number) {
		super(`Task ${taskId} of agent ${agentId} timed out after ${timeoutMs} ms`, 504, "TASK_TIMEOUT", {
			agentId,
			taskId,
			timeoutMs
		});
		this.name = "TaskTimeoutError";
	}
}

/** Thrown when an agent's worker dies (crash, out of memory, CPU limit) while running a task. */
export class WorkerCrashedError extends Errors.MoleculerRetryableError {
	constructor(agentId: string, reason: string) {
		super(`The worker of agent ${agentId} crashed: ${reason}`, 503, "WORKER_CRASHED", { agentId, reason });
		this.name = "WorkerCrashedError";
	}
}

/**
 * Thrown when the agent's own code threw while handling a task. Not the caller's fault
 * (so not 4xx) and not transient (so not retried): the same task would fail again.
 */
export class TaskFailedError extends Errors.MoleculerError {
	constructor(agentId: string, taskId: string, error: AgentErrorSummary) {
		super(`Agent ${agentId} failed task ${taskId}: ${error.name}: ${error.message}`, 502, "AGENT_TASK_FAILED", {
			agentId,
			taskId,
			error: { name: error.name, message: error.message }
		});
		this.name = "TaskFailedError";
	}
}

/** Thrown when a message envelope between agents is malformed, unsigned, expired or forged. */
export class EnvelopeInvalidError extends Errors.MoleculerClientError {
	constructor(reason: string) {
		super(`Envelope refused: ${reason}`, 403, "ENVELOPE_INVALID", { reason });
		this.name = "EnvelopeInvalidError";
	}
}

/** Thrown when no task with this id is known (never existed, or its record expired). */
export class TaskNotFoundError extends Errors.MoleculerClientError {
	constructor(taskId: string) {
		super(`Task ${taskId} not found`, 404, "TASK_NOT_FOUND", { taskId });
		this.name = "TaskNotFoundError";
	}
}

/** A task id the caller chose that an earlier task already has. */
export class TaskExistsError extends Errors.MoleculerClientError {
	constructor(taskId: string) {
		super(`Task ${taskId} already exists; give a new taskId`, 409, "TASK_EXISTS", { taskId });
		this.name = "TaskExistsError";
	}
}

/** An agent with the docker runtime, on a node whose Docker engine cannot be reached (it may come back). */
export class DockerUnavailableError extends Errors.MoleculerRetryableError {
	constructor(reason: string) {
		super(`the docker runtime needs a reachable Docker engine: ${reason}`, 503, "DOCKER_UNAVAILABLE", { reason });
		this.name = "DockerUnavailableError";
	}
}

/**
 * AGENT_NETWORK_ISOLATION=namespace on a node that cannot give a process worker a network
 * namespace: its workers are refused rather than run with the network open. It does not
 * pass on its own (the machine or the setting must change), so it is not retryable.
 */
export class NetworkIsolationUnavailableError extends Errors.MoleculerError {
	constructor(reason: string) {
		super(
			`AGENT_NETWORK_ISOLATION is namespace but this node cannot start process workers without a network (${reason}); ` +
				"enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0) or run as root, " +
				"or set AGENT_NETWORK_ISOLATION=auto to run them unisolated",
			503,
			"NETWORK_ISOLATION_UNAVAILABLE",
			{ reason }
		);
		this.name = "NetworkIsolationUnavailableError";
	}
}

/** An agent that runs one task at a time waiting on itself would wait for the very task it is in, until the timeout. */
export class SelfAskError extends Errors.MoleculerClientError {
	constructor(agentId: string) {
		super(`Agent ${agentId} cannot ask itself: it runs one task at a time (limits.maxConcurrency 1), so the task would wait for itself until it times out; use ctx.agents.send, or raise maxConcurrency`, 409, "SELF_ASK", { agentId });
		this.name = "SelfAskError";
	}
}

/**
 * A layer registered a ctx method the registry cannot take (a name already taken, one of
 * the runtime's own, or one agent code could not reach safely). Raised while the node is
 * composed, before any agent runs: a bug in the composition, never a caller's mistake.
 */
export class CtxMethodInvalidError extends Errors.MoleculerError {
	constructor(name: string, reason: string) {
		super(`The ctx method "${name}" cannot be registered: ${reason}`, 500, "CTX_METHOD_INVALID", { name, reason });
		this.name = "CtxMethodInvalidError";
	}
}

/** What a suspended run waits for: a person's decision on an approval, at one of its steps. */
export interface RunWait {
	kind: "approval";
	approvalId: string;
	/** The action (or tool) that waits for the decision. */
	action: string;
	reason: string;
	/** The step that waits: it is made again, with the decision, when the run resumes. */
	step: number;
	since: string;
	/** When the wait ends on its own (the agent's limits.maxSuspendMs). */
	until: string;
}

/**
 * The run waits for a person and is kept in the database only. The agent's code sees it as
 * the rejection of the call that waits, and every later call is refused the same way; the
 * run resumes from its journal once the decision is made.
 */
export class RunSuspendedError extends Errors.MoleculerError {
	constructor(
		readonly taskId: string,
		readonly wait: RunWait
	) {
		super(`Task ${taskId} waits for approval ${wait.approvalId} (${wait.action}); it resumes when a person decides`, 202, "TASK_SUSPENDED", { taskId, waitingFor: wait });
		this.name = "RunSuspendedError";
	}
}

/** The task was cancelled: its run stops at its next call, and a waiting caller is told so. */
export class TaskCancelledError extends Errors.MoleculerClientError {
	constructor(taskId: string) {
		super(`Task ${taskId} was cancelled`, 409, "TASK_CANCELLED", { taskId });
		this.name = "TaskCancelledError";
	}
}

/** This attempt of the run is over (its worker died, its time ran out); a later attempt takes over. */
export class RunAttemptEndedError extends Errors.MoleculerError {
	constructor(taskId: string, reason: string) {
		super(`Task ${taskId}: this attempt of the run has ended (${reason}); its calls are refused`, 409, "RUN_ATTEMPT_ENDED", { taskId, reason });
		this.name = "RunAttemptEndedError";
	}
}

/**
 * A resumed run made another call than its journal holds at that step: the agent's code
 * does not make the same ctx calls in the same order when run again, so its journal
 * cannot be replayed. Not retried: the same code would diverge again.
 */
export class ReplayDivergedError extends Errors.MoleculerError {
	constructor(taskId: string, step: number, journaled: string, called: string) {
		super(
			`Task ${taskId} cannot resume: at step ${step} its journal holds ${journaled} but the agent called ${called}; an agent must make the same ctx calls in the same order when a run is replayed`,
			500,
			"REPLAY_DIVERGED",
			{ taskId, step, journaled, called }
		);
		this.name = "ReplayDivergedError";
	}
}

/** A run failed at the same step on every attempt and was parked; `POST /api/v1/tasks/:id/resume` tries again. */
export class TaskStepFailedError extends Errors.MoleculerError {
	constructor(taskId: string, step: number, failures: number, reason: string) {
		super(`Task ${taskId} failed at step ${step} ${failures} times and was parked: ${reason}`, 502, "TASK_STEP_FAILED", { taskId, step, failures, reason });
		this.name = "TaskStepFailedError";
	}
}

/** Only a failed durable run can be resumed (from its last good step). */
export class TaskNotResumableError extends Errors.MoleculerClientError {
	constructor(taskId: string, status: string, durable: boolean) {
		super(
			durable ? `Task ${taskId} is ${status}; only a failed task can be resumed` : `Task ${taskId} has no journal (its agent runs with durable: false); it cannot be resumed`,
			409,
			"TASK_NOT_RESUMABLE",
			{ taskId, status, durable }
		);
		this.name = "TaskNotResumableError";
	}
}

/** Cancelling a task that has ended. */
export class TaskEndedError extends Errors.MoleculerClientError {
	constructor(taskId: string, status: string) {
		super(`Task ${taskId} has ended (${status}); it cannot be cancelled`, 409, "TASK_ENDED", { taskId, status });
		this.name = "TaskEndedError";
	}
}
