/**
 * The worker process of a code agent. It loads the agent's module, runs its hooks and
 * answers its actor over IPC; everything the agent asks of the cluster goes back over
 * the same channel. It holds no secret and has no broker.
 */
import readline from "node:readline";
import type { AgentDefinition, AgentTask, Caller } from "../agent-api";
import { createAgentContext, loadDefinition, taskContexts, type LogFn } from "./agent-context";
import { PROTOCOL_VERSION, toWireError, type HostMessage, type WireError, type WorkerMessage } from "./protocol";

/**
 * IPC when forked by a node; JSON lines on stdin/stdout in a container (no IPC there),
 * where stdout belongs to the protocol and console output goes to stderr.
 */
const stdio = process.env.AGENTOS_WORKER_TRANSPORT === "stdio";
const send = stdio
	? (message: WorkerMessage) => void process.stdout.write(`${JSON.stringify(message)}\n`)
	: (message: WorkerMessage) => void process.send?.(message);
if (stdio) {
	console.log = console.error;
	console.info = console.error;
	console.debug = console.error;
}
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
let nextCallId = 1;

/** A ctx call for the task `task` (none from onStart/onStop). */
function call(method: string, args: unknown[], task: string | undefined): Promise<unknown> {
	const id = nextCallId++;
	return new Promise((resolve, reject) => {
		pending.set(id, { resolve, reject });
		send({ t: "call", id, method, args, ...(task !== undefined && { task }) });
	});
}

/** The refusal as agent code sees it: type, code, data, retryable, and the `ref` that lets the host answer with the original. */
function fromWire(error: WireError): Error {
	return Object.assign(new Error(error.message), error);
}

let definition: AgentDefinition | undefined;
let agentId = "";
/** For onStart and onStop; each task gets its own, whose calls name the task. */
let ctx: ReturnType<typeof createAgentContext> | undefined;
let taskContext: ((task: string) => ReturnType<typeof createAgentContext>) | undefined;
const log: LogFn = (level, msg) => send({ t: "log", level, msg });

async function handle(message: HostMessage): Promise<void> {
	switch (message.t) {
		case "init": {
			if (message.v !== PROTOCOL_VERSION) throw new Error(`protocol version ${message.v} is not ${PROTOCOL_VERSION}`);
			agentId = message.agentId;
			ctx = createAgentContext(agentId, message.methods, (method, args) => call(method, args, undefined), log);
			taskContext = taskContexts(agentId, message.methods, call, log);
			definition = loadDefinition(message.entryPoint) as AgentDefinition;
			await definition.onStart?.(ctx);
			send({ t: "ready", v: PROTOCOL_VERSION });
			return;
		}
		case "task":
		case "message": {
			const info = { id: message.id, caller: message.caller as Caller };
			const taskCtx = taskContext!(message.id);
			try {
				const value =
					message.t === "task"
						? await definition!.onTask!(message.task as AgentTask, taskCtx, info)
						: await definition!.onMessage!(message.message, taskCtx, info);
				send({ t: "result", id: message.id, ok: true, value: value ?? null });
			} catch (err) {
				send({ t: "result", id: message.id, ok: false, error: toWireError(err) });
			}
			return;
		}
		case "reply": {
			const waiting = pending.get(message.id);
			pending.delete(message.id);
			if (message.ok) waiting?.resolve(message.value);
			else waiting?.reject(fromWire(message.error));
			return;
		}
		case "ping":
			send({ t: "pong", n: message.n });
			return;
		case "stop":
			try {
				await definition?.onStop?.(ctx!);
			} finally {
				send({ t: "stopped" });
				if (process.connected) process.disconnect();
				process.exitCode = 0;
				setImmediate(() => process.exit(0));
			}
	}
}

function fatal(err: unknown): void {
	process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
	send({ t: "fatal", error: toWireError(err) });
	process.exitCode = 1;
	// Let the IPC message flush before exiting.
	setImmediate(() => process.exit(1));
}

const receive = (message: HostMessage) => void handle(message).catch(fatal);
if (stdio) {
	const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
	lines.on("line", line => {
		if (line.trim()) receive(JSON.parse(line) as HostMessage);
	});
	// The actor is our only door; when it goes, so do we.
	lines.on("close", () => process.exit(0));
} else {
	process.on("message", message => receive(message as HostMessage));
	process.on("disconnect", () => process.exit(0));
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);
