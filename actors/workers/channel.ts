import type { ChildProcess } from "node:child_process";
import readline from "node:readline";
import type { HostMessage, WorkerMessage } from "./protocol";
import { asWorkerMessage, droppedMessageNote } from "./worker-message";

/**
 * How an actor talks to its worker, whatever carries it: Node IPC to a child process,
 * or JSON lines over the stdio of a container.
 */
export interface WorkerChannel {
	readonly pid: number | undefined;
	/** True when the worker has no network of its own (a namespace, a container with network none). */
	readonly networkIsolated: boolean;
	send(message: HostMessage): void;
	onMessage(listener: (message: WorkerMessage) => void): void;
	/** Anything the agent's code prints. */
	onOutput(listener: (chunk: Buffer) => void): void;
	onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
	kill(): void;
}

/** A forked child process: messages over IPC, output on its stdout and stderr. */
export function ipcChannel(child: ChildProcess, networkIsolated = false): WorkerChannel {
	// A dying child makes sends fail (EPIPE) and may emit 'error'; its exit is what
	// reports the death, so neither may reach the node as an uncaught error.
	child.on("error", () => undefined);
	const outputListeners: Array<(c: Buffer) => void> = [];
	return {
		pid: child.pid,
		networkIsolated,
		send: message => {
			if (child.connected) child.send(message, err => void err);
		},
		onMessage: listener =>
			void child.on("message", raw => {
				const message = asWorkerMessage(raw);
				if (message) listener(message);
				else for (const l of outputListeners) l(droppedMessageNote(raw));
			}),
		onOutput: listener => {
			outputListeners.push(listener);
			child.stdout?.on("data", listener);
			child.stderr?.on("data", listener);
		},
		onExit: listener => void child.on("exit", listener),
		kill: () => void child.kill("SIGKILL")
	};
}

export interface StdioEnds {
	pid?: number;
	stdin: NodeJS.WritableStream;
	stdout: NodeJS.ReadableStream;
	stderr: NodeJS.ReadableStream;
	kill(): void;
	/** Resolves with the exit code when the worker ends. */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	/** False when left out: isolation is what a launcher shows, never assumed. */
	networkIsolated?: boolean;
}

/**
 * JSON lines: one message per line on stdin/stdout; the worker prints everything else
 * to stderr. A line that is not a message is treated as output, not as a crash.
 */
export function stdioChannel(ends: StdioEnds): WorkerChannel {
	const lines = readline.createInterface({ input: ends.stdout, crlfDelay: Infinity });
	const messageListeners: Array<(m: WorkerMessage) => void> = [];
	const outputListeners: Array<(c: Buffer) => void> = [];
	lines.on("line", line => {
		let message: WorkerMessage | undefined;
		try {
			message = asWorkerMessage(JSON.parse(line));
		} catch {
			message = undefined;
		}
		if (message) for (const l of messageListeners) l(message);
		else for (const l of outputListeners) l(Buffer.from(`${line}\n`));
	});
	ends.stderr.on("data", (chunk: Buffer) => outputListeners.forEach(l => l(chunk)));
	ends.stdin.on("error", () => undefined); // a worker that died mid-write is reported by `exited`
	return {
		pid: ends.pid,
		networkIsolated: ends.networkIsolated ?? false,
		send: message => void ends.stdin.write(`${JSON.stringify(message)}\n`),
		onMessage: listener => void messageListeners.push(listener),
		onOutput: listener => void outputListeners.push(listener),
		onExit: listener => void ends.exited.then(({ code, signal }) => listener(code, signal)),
		kill: () => ends.kill()
	};
}
