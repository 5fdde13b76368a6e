import crypto from "node:crypto";

/** The UUID namespace of child run ids (a fixed random UUID: no other name maps into it). */
const CHILD_RUN_NAMESPACE = "6f1d2c4e-8a37-4b59-9e0c-3d5a7b21c8f4";

/** A parent run's step that asked another agent: the child run it made. */
export interface ParentStep {
	taskId: string;
	step: number;
}

/** UUIDv5 (RFC 9562): SHA-1 of the namespace and the name, with the version and variant bits set. */
export function uuidV5(name: string, namespace: string): string {
	const hash = crypto.createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest();
	hash[6] = (hash[6] & 0x0f) | 0x50;
	hash[8] = (hash[8] & 0x3f) | 0x80;
	const hex = hash.subarray(0, 16).toString("hex");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the child run that step `step` of run `taskId` makes when it asks another agent.
 * The same step made again (retried, or its run resumed on another node) names the same
 * child, which it then waits for instead of having the other agent start the work again.
 */
export function childRunId({ taskId, step }: ParentStep): string {
	return uuidV5(`${taskId}:${step}`, CHILD_RUN_NAMESPACE);
}
