import { Role, TaskState, type Message, type Part, type Task } from "@a2a-js/sdk";
import { JsonRpcTaskNotFoundError } from "@a2a-js/sdk/errors";
import { remoteError, summarise } from "../../lib/tools/a2a/a2a-remote";
import { remoteIdOf } from "../../lib/tools/a2a/remote-agent-store";

const text = (value: string): Part => ({ content: { $case: "text", value }, metadata: undefined, filename: "", mediaType: "text/plain" });
const data = (value: unknown): Part => ({ content: { $case: "data", value }, metadata: undefined, filename: "", mediaType: "application/json" });
const message = (parts: Part[]): Message => ({ messageId: "m", contextId: "c", taskId: "", role: Role.ROLE_AGENT, parts, metadata: undefined, extensions: [], referenceTaskIds: [] });
const task = (state: TaskState, artifacts: Part[][], status?: Part[]): Task => ({
	id: "t1",
	contextId: "c1",
	status: { state, message: status ? message(status) : undefined, timestamp: undefined },
	artifacts: artifacts.map((parts, i) => ({ artifactId: `a${i}`, name: "", description: "", parts, metadata: undefined, extensions: [] })),
	history: [],
	metadata: undefined
});

describe("a remote A2A agent's answer, as a2a_send returns it", () => {
	it("gives a message's text and data", () => {
		expect(summarise(message([text("hello"), data({ n: 1 }), text("again")]))).toEqual({ kind: "message", text: "hello\nagain", data: [{ n: 1 }], contextId: "c" });
	});

	it("gives a task's state and its artifacts, not the status message that repeats them", () => {
		expect(summarise(task(TaskState.TASK_STATE_COMPLETED, [[text("answer"), data({ ok: true })]], [text("answer")]))).toEqual({
			kind: "task",
			text: "answer",
			data: [{ ok: true }],
			taskId: "t1",
			contextId: "c1",
			state: "completed"
		});
	});

	it("gives the status message when there is nothing else: why a task failed, what it asks", () => {
		expect(summarise(task(TaskState.TASK_STATE_FAILED, [], [text("no such city")]))).toMatchObject({ state: "failed", text: "no such city" });
		expect(summarise(task(TaskState.TASK_STATE_INPUT_REQUIRED, [], [text("which city?")]))).toMatchObject({ state: "input_required", text: "which city?" });
	});

	it("keeps a JSON-RPC error's code and message, and types anything else as the remote being unreachable", () => {
		expect(remoteError(new JsonRpcTaskNotFoundError({ message: "Task not found: x" }), "builtin:a2a_get_task", "http://b")).toMatchObject({
			type: "A2A_REMOTE_ERROR",
			code: 502,
			data: { remoteCode: -32001, remoteMessage: "Task not found: x" }
		});
		expect(remoteError(new Error("socket hang up"), "builtin:a2a_send", "http://b")).toMatchObject({ type: "A2A_REMOTE_UNREACHABLE", code: 503, retryable: true });
		const page = `HTTP error for SendMessage! Status: 502 Bad Gateway. Response: ${"<p>".repeat(1000)}`;
		expect((remoteError(new Error(page), "builtin:a2a_send", "http://b") as Error).message.length).toBeLessThan(450);
		// An endpoint that refuses the token is not an outage to retry.
		expect(remoteError(new Error("HTTP error for SendMessage! Status: 401 Unauthorized. Response: no"), "builtin:a2a_send", "http://b")).toMatchObject({
			type: "A2A_REMOTE_UNAUTHORIZED",
			code: 403,
			data: { status: 401 }
		});
	});
});

describe("a remote agent's directory id", () => {
	it("is the card's name as a slug at the card's host, so it never collides with a local agent's id", () => {
		expect(remoteIdOf("Echo Agent!", "http://b.example:4000/a2a/echo/.well-known/agent-card.json")).toBe("echo-agent@b.example:4000");
		expect(remoteIdOf("???", "https://c.example/card.json")).toBe("agent@c.example");
	});
});
