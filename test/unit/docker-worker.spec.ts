/**
 * No Docker engine runs on this machine, so the engine is faked: a Dockerode-shaped object
 * that records calls. The stream demultiplexing is docker-modem's real `demuxStream`, fed
 * Docker's 8-byte frame headers, so the stdout/stderr wiring is the one used in production.
 */
import { Duplex } from "node:stream";
import DockerModem from "docker-modem";
import type Dockerode from "dockerode";
import { buildContainerSpec, type DockerWorkerOptions } from "../../actors/workers/docker-spec";
import { DockerWorkerLauncher } from "../../actors/workers/docker-worker";
import { DEFAULT_LIMITS, DEFAULT_RESTART, type AgentManifest } from "../../actors/manifest-types";

const manifest: AgentManifest = {
	id: "echo",
	name: "Echo",
	version: "0.1.0",
	entryPoint: "index.js",
	runtime: "docker",
	permissions: [],
	trustLevel: "supervised",
	limits: DEFAULT_LIMITS,
	restart: DEFAULT_RESTART
};

const opts: DockerWorkerOptions = {
	image: "agentos/worker:1",
	agentCodeDir: "/srv/agents/echo",
	workerEntry: "/app/dist/actors/workers/process-entry.js",
	networkGranted: false,
	requireApparmor: false
};

/** One frame of Docker's multiplexed attach stream: [type, 0, 0, 0, size (uint32 BE)] + payload. */
function frame(type: 1 | 2, text: string): Buffer {
	const payload = Buffer.from(text);
	const header = Buffer.alloc(8);
	header.writeUInt8(type, 0);
	header.writeUInt32BE(payload.length, 4);
	return Buffer.concat([header, payload]);
}

function httpError(statusCode: number, message: string): Error {
	return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode });
}

function fakeEngine(killError?: Error) {
	const calls: string[] = [];
	const stdinWrites: string[] = [];
	const socket = new Duplex({
		read() {},
		write(chunk: Buffer, _enc, cb) {
			stdinWrites.push(chunk.toString());
			cb();
		}
	});
	const container = {
		id: "c0ffee",
		attach: jest.fn(async (o: unknown) => {
			calls.push(`attach ${JSON.stringify(o)}`);
			return socket;
		}),
		wait: jest.fn(async () => {
			calls.push("wait");
			return { StatusCode: 137, Error: null };
		}),
		start: jest.fn(async () => {
			calls.push("start");
		}),
		kill: jest.fn(async () => {
			calls.push("kill");
			if (killError) throw killError;
		}),
		remove: jest.fn(async () => {
			calls.push("remove");
		})
	};
	const docker = {
		modem: { demuxStream: DockerModem.prototype.demuxStream },
		createContainer: jest.fn(async (_spec: unknown) => {
			calls.push("create");
			return container;
		})
	};
	return { docker, container, socket, calls, stdinWrites, launcher: new DockerWorkerLauncher(docker as unknown as Dockerode, opts) };
}

function collect(stream: NodeJS.ReadableStream): Promise<string> {
	return new Promise((resolve, reject) => {
		let text = "";
		stream.on("data", (c: Buffer) => (text += c.toString()));
		stream.on("end", () => resolve(text));
		stream.on("error", reject);
	});
}

describe("docker worker launcher (fake engine)", () => {
	it("creates from the built spec, attaches before start, then starts", async () => {
		const { docker, calls, launcher } = fakeEngine();
		const handle = await launcher.launch(manifest);
		expect(docker.createContainer).toHaveBeenCalledWith(buildContainerSpec(manifest, opts));
		expect(calls).toEqual([
			"create",
			`attach ${JSON.stringify({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })}`,
			"wait",
			"start"
		]);
		expect(handle.containerId).toBe("c0ffee");
		await expect(handle.wait()).resolves.toEqual({ StatusCode: 137 });
	});

	it("splits the attach stream into stdout and stderr and passes stdin through", async () => {
		const { socket, stdinWrites, launcher } = fakeEngine();
		const handle = await launcher.launch(manifest);
		const out = collect(handle.stdout);
		const err = collect(handle.stderr);
		handle.stdin.write('{"type":"task"}\n');
		socket.push(frame(1, '{"type":"ready"}\n'));
		socket.push(frame(2, "warning\n"));
		socket.push(frame(1, '{"type":"result"}\n'));
		socket.push(null);
		await expect(out).resolves.toBe('{"type":"ready"}\n{"type":"result"}\n');
		await expect(err).resolves.toBe("warning\n");
		expect(stdinWrites).toEqual(['{"type":"task"}\n']);
	});

	it("kill() kills the container", async () => {
		const { container, launcher } = fakeEngine();
		await (await launcher.launch(manifest)).kill();
		expect(container.kill).toHaveBeenCalledTimes(1);
	});

	it.each([
		[404, "no such container - No such container: c0ffee"],
		[409, "unexpected - Container c0ffee is not running"]
	])("kill() tolerates a container already gone (%i)", async (status, message) => {
		const { container, launcher } = fakeEngine(httpError(status, message));
		await expect((await launcher.launch(manifest)).kill()).resolves.toBeUndefined();
		expect(container.kill).toHaveBeenCalledTimes(1);
	});

	it("kill() passes other engine errors on", async () => {
		const { launcher } = fakeEngine(httpError(500, "server error"));
		await expect((await launcher.launch(manifest)).kill()).rejects.toThrow("server error");
	});

	it("removes the created container when start fails", async () => {
		const { container, calls, launcher } = fakeEngine();
		container.start.mockRejectedValueOnce(httpError(500, "server error - image has no node"));
		await expect(launcher.launch(manifest)).rejects.toThrow("image has no node");
		expect(calls.at(-1)).toBe("remove");
		expect(container.remove).toHaveBeenCalledWith({ force: true });
	});
});
