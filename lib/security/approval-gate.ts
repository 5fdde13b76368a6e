import { canonicalJson } from "../kernel/canonical-json";
import { ApprovalDeniedError, ApprovalExpiredError, ApprovalPendingError } from "./approval-errors";
import type { Approval, ApprovalStore, Decided } from "./approval-store";

/** Set by the runtime on every call of a durable run (and so on the calls nested in them). */
export interface RunMeta {
	taskId: string;
	/** How long the run may stay suspended: an approval it opens expires after this. */
	maxSuspendMs: number;
}

/** What a call's meta says about approvals: the durable run it is part of, and the approval a resumed run was waiting for. */
export interface ApprovalMeta {
	run?: RunMeta;
	approvalId?: string;
}

/** A call that needs a person. */
export interface ApprovalAsk {
	agentId: string;
	/** As the approval records it: the action's name, a tool's id, `task.waitFor`. */
	action: string;
	params: unknown;
	/** What the person is shown. */
	reason: string;
	meta: ApprovalMeta;
}

/** A person's decision, as the asking call gets it. */
export interface ApprovalAnswer {
	approvalId: string;
	approved: boolean;
	note: string | null;
	decidedBy: string | null;
	decidedAt: string | null;
}

export interface ApprovalGateOptions {
	/** How long a call that is not part of a durable run waits in memory. */
	timeoutMs: number;
	/** Told of each approval opened, so people can be notified. */
	onRequested?(approval: Approval): void;
}

/** Whether the call's params are those the person was shown (as stored: JSON, any key order). */
const sameParams = (shown: unknown, asked: unknown): boolean => canonicalJson(shown) === canonicalJson(asked ?? {});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const answerOf = (d: Decided): ApprovalAnswer => ({ approvalId: d.id, approved: d.status === "approved", note: d.note, decidedBy: d.decidedBy, decidedAt: d.decidedAt });

const pendingOf = (a: Approval): ApprovalPendingError => new ApprovalPendingError(a.id, a.action, a.reason, a.expiresAt);

/**
 * The one place a call that needs a person is decided — the security guard's `approval`
 * actions, tools that require confirmation, and `approvals.waitFor` all come here.
 *
 * - A call of a durable run (`meta.run`) does not wait: the approval is opened for the run
 *   (expiring after `maxSuspendMs`) and ApprovalPendingError suspends the run.
 * - The same call made again when the run resumes (`meta.approvalId`) takes that approval's
 *   answer, once: approved or denied, or ApprovalExpiredError. An approval already used, or
 *   one of another agent, action or params (meta reaches nested calls too), is not this call's.
 * - Any other call waits in memory on this node, as long as `timeoutMs`.
 */
export class ApprovalGate {
	constructor(
		readonly store: ApprovalStore,
		private readonly options: ApprovalGateOptions
	) {}

	/** Lets the call go on once a person approves; throws ApprovalDeniedError, ApprovalExpiredError or ApprovalPendingError. */
	async pass(ask: ApprovalAsk): Promise<void> {
		const answer = await this.answer(ask);
		if (!answer.approved) throw new ApprovalDeniedError(answer.approvalId, ask.action, answer.note);
	}

	/** A person's answer, a denial included; throws ApprovalExpiredError, or ApprovalPendingError in a durable run. */
	async answer(ask: ApprovalAsk): Promise<ApprovalAnswer> {
		const resumed = await this.resumed(ask);
		if (resumed) return resumed;
		const run = ask.meta.run;
		const approval = await this.store.open(ask.agentId, ask.action, ask.params, ask.reason, run ? run.maxSuspendMs : this.options.timeoutMs, run?.taskId ?? null);
		this.options.onRequested?.(approval);
		if (run) throw pendingOf(approval);
		return answerOf(await this.store.decision(approval, this.options.timeoutMs));
	}

	/** The answer of the approval a resumed run names, when it is this call's and not used yet. */
	private async resumed({ agentId, action, params, meta }: ApprovalAsk): Promise<ApprovalAnswer | undefined> {
		const id = meta.approvalId;
		if (typeof id !== "string" || !UUID.test(id)) return undefined;
		const given = await this.store.get(id);
		// A person approves what they were shown: another agent's, action's or params' call does not ride on it.
		if (!given || given.agentId !== agentId || given.action !== action || !sameParams(given.params, params)) return undefined;
		const used = await this.store.use(id);
		if (!used) {
			// Resumed before anyone decided: the run waits on for the same approval.
			if (meta.run && given.usedAt === null && given.status === "pending") throw pendingOf(given);
			return undefined;
		}
		if (used.status === "expired") throw new ApprovalExpiredError(used.id, action, Date.parse(used.expiresAt) - Date.parse(used.requestedAt));
		return answerOf(used);
	}
}
