import crypto from "node:crypto";
import type { Artifact, Message, Part, TaskStatus } from "@a2a-js/sdk";
import type { TaskEnd } from "../../../actors/task-store";

export function textPart(text: string): Part {
	return { content: { $case: "text", value: text }, mediaType: "text/plain", filename: "", metadata: undefined };
}

export function dataPart(value: unknown): Part {
	return { content: { $case: "data", value }, mediaType: "application/json", filename: "", metadata: undefined };
}

export function agentMessage(taskId: string, contextId: string, parts: Part[], messageId: string = crypto.randomUUID()): Message {
	return { messageId, contextId, taskId, role: 2, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

/** What a task's outcome becomes: a chat's answer as text, any result as data. */
export function resultParts(result: unknown): Part[] {
	const answer = (result as { answer?: unknown } | null)?.answer;
	return typeof answer === "string" ? [textPart(answer), dataPart(result)] : [dataPart(result ?? null)];
}

function errorText(error: unknown): string {
	const e = error as { type?: string; message?: string } | null;
	return e?.message ? `${e.type ?? "ERROR"}: ${e.message}` : "The task failed";
}

/**
 * How an ended task reads over A2A: its result as an artifact, its final status with the
 * answer (or the error) as the agent's message. Made from the row alone, with ids taken
 * from the task's, so the events the executor sends and the record any node rebuilds
 * later are the same, and the end needs no write beyond the row's own.
 */
export function outcomeOf(end: TaskEnd, contextId: string): { artifacts: Artifact[]; status: TaskStatus } {
	const { id } = end;
	const timestamp = end.finishedAt ?? new Date().toISOString();
	const message = (parts: Part[]) => agentMessage(id, contextId, parts, `${id}-outcome`);
	if (end.status === "succeeded") {
		const parts = resultParts(end.result);
		const artifact: Artifact = { artifactId: `${id}-result`, name: "result", description: "", parts, metadata: undefined, extensions: [] };
		return { artifacts: [artifact], status: { state: 3, message: message(parts.slice(0, 1)), timestamp } };
	}
	if (end.status === "failed") return { artifacts: [], status: { state: 4, message: message([textPart(errorText(end.error))]), timestamp } };
	return { artifacts: [], status: { state: 5, message: undefined, timestamp } };
}
