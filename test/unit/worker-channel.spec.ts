import { spawn } from "node:child_process";
import { ipcChannel, stdioChannel } from "../../actors/workers/channel";
import type { WorkerMessage } from "../../actors/workers/protocol";
import { PassThrough } from "node:stream";

/** What agent code can send down its channel besides the protocol: none of it may reach the actor. */
const MALFORMED: unknown[] = [
	null,
	7,
	"text",
	[],
	{},
	{ t: "log", level: "bogus", msg: "an unknown level (the node threw on it)" },
	{ t: "log", level: "info", msg: { not: "text" } },
	{ t: "fatal" },
	{ t: "fatal", error: "no object" },
	{ t: "result", id: 1, ok: true },
	{ t: "result", id: "x", ok: false },
	{ t: "call", id: 1, method: "constructor", args: [] },
	{ t: "call", id: 1, method: "state.get", args: "not a list" },
	{ t: "pong", n: "1" },
	{ t: "ready" },
	{ t: "constructor" }
];
const GOOD: WorkerMessage[] = [
	{ t: "log", level: "warn", msg: "fine" },
	{ t: "pong", n: 1 },
	// What the typed error path needs: the task a ctx call runs for, and the call a failure points back to.
	{ t: "call", id: 2, method: "llm.chat", args: [{}], task: "task-1" },
	{ t: "result", id: "task-1", ok: false, error: { name: "PermissionDeniedError", message: "no", type: "PERMISSION_DENIED", code: 403, retryable: false, ref: 2 } }
];

describe("a worker's channel", () => {
	it("passes on only protocol messages from a real child process and shows the others as its output", async () => {
		const script = `for (const m of ${JSON.stringify([...MALFORMED, ...GOOD])}) process.send(m); setTimeout(() => process.exit(0), 50);`;
		const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "pipe", "ipc"] });
		const channel = ipcChannel(child);
		const messages: WorkerMessage[] = [];
		let output = "";
		channel.onOutput(chunk => (output += chunk.toString()));
		channel.onMessage(m => messages.push(m));
		await new Promise<void>(resolve => channel.onExit(() => resolve()));
		expect(messages).toEqual(GOOD);
		expect(output.match(/not a protocol message, ignored/g)).toHaveLength(MALFORMED.length);
		expect(output).toContain('"level":"bogus"');
	});

	it("reads a container's stdout lines the same way", async () => {
		const stdout = new PassThrough();
		const channel = stdioChannel({ stdin: new PassThrough(), stdout, stderr: new PassThrough(), kill() {}, exited: new Promise(() => undefined) });
		const messages: WorkerMessage[] = [];
		let output = "";
		channel.onOutput(chunk => (output += chunk.toString()));
		channel.onMessage(m => messages.push(m));
		for (const m of [...MALFORMED, ...GOOD]) stdout.write(`${JSON.stringify(m)}\n`);
		stdout.end();
		await new Promise(resolve => setImmediate(resolve));
		expect(messages).toEqual(GOOD);
		expect(output.trim().split("\n")).toHaveLength(MALFORMED.length);
	});
});
