/**
 * Starts a worker container from `buildContainerSpec` and hands back its stdio, so the
 * JSON-lines protocol of a process worker runs unchanged over the container's streams.
 * Not run against a real engine here (none on the build machine); see docker-worker.spec.ts.
 */
import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import type { AgentManifest } from "../manifest-types";
import { buildContainerSpec, type DockerWorkerOptions } from "./docker-spec";

export interface DockerWorkerHandle {
	containerId: string;
	stdin: NodeJS.WritableStream;
	stdout: NodeJS.ReadableStream;
	stderr: NodeJS.ReadableStream;
	/** Kills the container; a container already stopped or removed is not an error. */
	kill(): Promise<void>;
	wait(): Promise<{ StatusCode: number }>;
}

export class DockerWorkerLauncher {
	constructor(
		private readonly docker: Dockerode,
		private readonly opts: DockerWorkerOptions
	) {}

	async launch(manifest: AgentManifest): Promise<DockerWorkerHandle> {
		const container = await this.docker.createContainer(buildContainerSpec(manifest, this.opts));
		let exited: Promise<{ StatusCode: number }>;
		let stdout: PassThrough;
		let stderr: PassThrough;
		let stream: NodeJS.ReadWriteStream;
		try {
			// Attach before start, or the worker's first lines (its ready message) could be lost.
			stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
			stdout = new PassThrough();
			stderr = new PassThrough();
			// Without a TTY, Docker multiplexes stdout and stderr into one framed stream.
			this.docker.modem.demuxStream(stream, stdout, stderr);
			// demuxStream never ends its outputs; readers need 'end' to see the worker go.
			const endOutputs = (): void => {
				stdout.end();
				stderr.end();
			};
			stream.once("end", endOutputs);
			stream.once("close", endOutputs);
			stream.once("error", (err: Error) => stdout.destroy(err));
			// Asked before start: with AutoRemove the container may be gone before a later wait
			// could be sent (then 404). "removed" resolves once the exit code is final.
			exited = container.wait({ condition: "removed" }).then((r: { StatusCode: number }) => ({ StatusCode: r.StatusCode }));
			exited.catch(() => undefined); // observed by wait(); never an unhandled rejection
			await container.start();
		} catch (err) {
			// A created but never started container is not auto-removed.
			await container.remove({ force: true }).catch(() => undefined);
			throw err;
		}
		return {
			containerId: container.id,
			stdin: stream,
			stdout,
			stderr,
			kill: async () => {
				try {
					await container.kill();
				} catch (err) {
					if (!isGone(err)) throw err;
				}
			},
			wait: () => exited
		};
	}
}

/** 404 "no such container" (already auto-removed) or 409 "is not running" (already exited). */
function isGone(err: unknown): boolean {
	const e = err as { statusCode?: number; message?: string } | null;
	return e?.statusCode === 404 || e?.statusCode === 409 || /no such container|is not running/i.test(e?.message ?? "");
}
