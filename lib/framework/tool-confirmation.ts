/**
 * Tools a declarative agent's manifest marks `requiresConfirmation`: before the loop runs
 * one, a person is asked through `approvals.waitFor` — made through the run's own `call`, so
 * it is one step of the run (journaled; in a durable run, suspended until the decision). A
 * denial is the tool's result the model sees: an error saying a person denied it, with the note.
 */
import type { CtxCall } from "../../actors/ctx-registry";
import type { AgentManifest } from "../../actors/manifest-types";
import { ApprovalDeniedError } from "../security/approval-errors";
import type { HumanDecision } from "../security/wait-for";
import type { ToolInfo } from "../tools/tool";
import type { LoopDeps } from "./tool-loop";

/**
 * A tool call's errors that end the loop instead of being its result: the call waits for a
 * person (APPROVAL_PENDING), or — made as a step of a durable run — the runtime suspended the
 * run on it (TASK_SUSPENDED). Either way the run resumes, and replays the loop, after the decision.
 */
const SUSPENDS = new Set(["APPROVAL_PENDING", "TASK_SUSPENDED"]);

export function suspendsRun(err: unknown): boolean {
	const type = (err as { type?: unknown } | null)?.type;
	return typeof type === "string" && SUSPENDS.has(type);
}

/** What the person is shown of the arguments, at most (the reason takes 1000 characters). */
const ARGS_SHOWN = 600;

function shownArgs(args: Record<string, unknown>): string {
	const json = JSON.stringify(args) ?? "{}";
	return json.length > ARGS_SHOWN ? `${json.slice(0, ARGS_SHOWN)}…` : json;
}

/**
 * The manifest's tools a person confirms in the loop: those marked, except the tools that
 * tools.invoke confirms itself for a supervised agent — one question per call, not two.
 */
export function toolsToConfirm(manifest: Pick<AgentManifest, "confirmTools" | "trustLevel">, tools: readonly Pick<ToolInfo, "id" | "requiresConfirmation">[]): string[] {
	const own = new Set(manifest.trustLevel === "supervised" ? tools.filter(t => t.requiresConfirmation).map(t => t.id) : []);
	return (manifest.confirmTools ?? []).filter(id => !own.has(id));
}

/** The loop's `invokeTool` and `rethrows`, asking a person before each tool of `confirm`. */
export function confirmingTools(call: CtxCall, confirm: readonly string[], invokeTool: LoopDeps["invokeTool"]): Pick<LoopDeps, "invokeTool" | "rethrows"> {
	const needs = new Set(confirm);
	return {
		async invokeTool(toolId, args) {
			if (needs.has(toolId)) {
				const reason = `Run the tool ${toolId} with ${shownArgs(args)}`;
				const answer = (await call("approvals.waitFor", { reason, data: { toolId, arguments: args } })) as HumanDecision;
				if (!answer.approved) throw new ApprovalDeniedError(answer.approvalId, toolId, answer.note);
			}
			return invokeTool(toolId, args);
		},
		// A durable run's call that waits for a person (this one, or a tool's own confirmation) suspends the run.
		rethrows: suspendsRun
	};
}
