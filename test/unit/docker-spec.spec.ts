import { buildContainerSpec, WorkerConfigError, type DockerWorkerOptions } from "../../actors/workers/docker-spec";
import { DEFAULT_LIMITS, DEFAULT_RESTART, type AgentLimits, type AgentManifest } from "../../actors/manifest-types";

function manifest(limits: Partial<AgentLimits> = {}): AgentManifest {
	return {
		id: "summarizer",
		name: "Summarizer",
		version: "1.2.3",
		entryPoint: "index.js",
		runtime: "docker",
		permissions: [],
		trustLevel: "supervised",
		limits: { ...DEFAULT_LIMITS, memoryMB: 500, cpuCores: 1.5, pids: 32, diskQuotaMB: 256, ...limits },
		restart: DEFAULT_RESTART
	};
}

const base: DockerWorkerOptions = {
	image: "agentos/worker:1",
	agentCodeDir: "/srv/agents/summarizer",
	workerEntry: "/app/dist/actors/workers/process-entry.js",
	networkGranted: false,
	requireApparmor: false
};

function build(opts: Partial<DockerWorkerOptions> = {}, limits: Partial<AgentLimits> = {}) {
	const spec = buildContainerSpec(manifest(limits), { ...base, ...opts });
	return { spec, host: spec.HostConfig! };
}

function configError(fn: () => unknown): WorkerConfigError {
	try {
		fn();
	} catch (err) {
		expect(err).toBeInstanceOf(WorkerConfigError);
		expect((err as WorkerConfigError).type).toBe("WORKER_CONFIG_INVALID");
		return err as WorkerConfigError;
	}
	throw new Error("expected a WorkerConfigError");
}

describe("docker worker container spec", () => {
	it("runs the worker entry as an unprivileged user over stdio", () => {
		const { spec } = build();
		expect(spec.Image).toBe("agentos/worker:1");
		expect(spec.Cmd).toEqual(["node", "--max-old-space-size=400", "/app/dist/actors/workers/process-entry.js"]);
		expect(spec.User).toBe("1000:1000");
		expect(spec.WorkingDir).toBe("/agent");
		expect(spec).toMatchObject({ OpenStdin: true, StdinOnce: false, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
		expect(spec.Labels).toEqual({ "agentos.agent": "summarizer", "agentos.version": "1.2.3" });
	});

	it("rounds the heap cap to 80% of the memory limit", () => {
		expect(build({}, { memoryMB: 257 }).spec.Cmd?.[1]).toBe("--max-old-space-size=206");
	});

	it("locks down the filesystem, capabilities and privileges", () => {
		const { host } = build();
		expect(host.ReadonlyRootfs).toBe(true);
		expect(host.Tmpfs).toEqual({ "/tmp": "rw,noexec,nosuid,size=64m" });
		expect(host.CapDrop).toEqual(["ALL"]);
		expect(host.CapAdd).toBeUndefined();
		expect(host.Privileged).toBeUndefined();
		expect(host.SecurityOpt).toContain("no-new-privileges:true");
		expect(host.Binds).toEqual(["/srv/agents/summarizer:/agent:ro"]);
		expect(host.AutoRemove).toBe(true);
		expect(host.Init).toBe(true);
	});

	it("keeps Docker's default seccomp profile unless one is given", () => {
		const byDefault: string[] = build().host.SecurityOpt;
		expect(byDefault.filter((o) => o.startsWith("seccomp"))).toEqual([]);
		const profile = JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [] });
		expect(build({ seccompProfile: profile }).host.SecurityOpt).toContain(`seccomp=${profile}`);
		configError(() => build({ seccompProfile: "{not json" }));
	});

	it("has no network by default and a bridge when network.fetch is granted", () => {
		const none = build();
		expect(none.spec.NetworkDisabled).toBe(true);
		expect(none.host.NetworkMode).toBe("none");
		const granted = build({ networkGranted: true });
		expect(granted.spec.NetworkDisabled).toBe(false);
		expect(granted.host.NetworkMode).toBe("bridge");
	});

	it("caps memory without swap, CPU, pids, open files and disk", () => {
		const { host } = build();
		expect(host.Memory).toBe(500 * 1024 * 1024);
		expect(host.MemorySwap).toBe(host.Memory);
		expect(host.NanoCpus).toBe(1_500_000_000);
		expect(host.PidsLimit).toBe(32);
		expect(host.Ulimits).toEqual([{ Name: "nofile", Soft: 1024, Hard: 1024 }]);
		expect(host.StorageOpt).toEqual({ size: "256M" });
	});

	it("adds a CPU-time ulimit when cpuTimeSeconds is set", () => {
		expect(build({}, { cpuTimeSeconds: 90 }).host.Ulimits).toContainEqual({ Name: "cpu", Soft: 90, Hard: 90 });
	});

	it("refuses limits Docker would read as unlimited", () => {
		for (const key of ["memoryMB", "cpuCores", "pids", "diskQuotaMB"] as const) {
			expect(configError(() => build({}, { [key]: 0 })).message).toContain(key);
		}
		configError(() => build({}, { pids: -1 }));
	});

	it("passes only the given env plus the agent id, never the host's secrets", () => {
		const saved = process.env.GATEWAY_AUTH_TOKEN;
		process.env.GATEWAY_AUTH_TOKEN = "super-secret-token";
		try {
			const { spec } = build({ env: { LOG_LEVEL: "info", AGENTOS_AGENT_ID: "spoofed" } });
			expect(spec.Env).toEqual(["LOG_LEVEL=info", "AGENTOS_AGENT_ID=summarizer"]);
			expect(JSON.stringify(spec)).not.toContain("super-secret-token");
			expect(build().spec.Env).toEqual(["AGENTOS_AGENT_ID=summarizer"]);
		} finally {
			if (saved === undefined) delete process.env.GATEWAY_AUTH_TOKEN;
			else process.env.GATEWAY_AUTH_TOKEN = saved;
		}
	});

	it("applies an AppArmor profile and refuses to run without one when it is required", () => {
		expect(build({ apparmorProfile: "agentos-worker" }).host.SecurityOpt).toContain("apparmor=agentos-worker");
		expect(build({ apparmorProfile: "agentos-worker", requireApparmor: true }).host.SecurityOpt).toContain("apparmor=agentos-worker");
		expect((build().host.SecurityOpt as string[]).some((o) => o.startsWith("apparmor"))).toBe(false);
		const err = configError(() => build({ requireApparmor: true }));
		expect(err.message).toContain("AGENT_WORKER_APPARMOR_PROFILE");
		expect(err.message).toContain("AGENT_WORKER_REQUIRE_APPARMOR");
	});

	it("refuses an agent code dir that is relative or would break the bind syntax", () => {
		for (const dir of ["agents/summarizer", "./x", "", "/srv/a:b", "/srv/x:/etc:rw"]) {
			expect(configError(() => build({ agentCodeDir: dir })).message).toContain("agentCodeDir");
		}
	});
});
