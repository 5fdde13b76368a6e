import { Errors, ServiceBroker, type Context } from "moleculer";
import type { Caller } from "../../actors/agent-api";
import type { TaskOrigin } from "../../actors/agent-calls";
import { AgentRuntime } from "../../actors/agent-runtime";
import { createCtxBridge } from "../../actors/ctx-bridge";
import { ctxMethodsOf } from "../../actors/ctx-registry";
import { EnvelopeSigner } from "../../actors/envelope";
import { parseManifest } from "../../actors/manifest";
import type { StateStore } from "../../actors/state-store";
import type { AgentWorker, WorkerHooks } from "../../actors/workers/worker";
import { frameworkCtxMethods } from "../../lib/framework/ctx-methods";

interface Seen {
	requestID: string | null;
	parentID: string | null;
	caller: Caller | undefined;
	user: unknown;
	timeout: number | undefined;
}

/**
 * A worker in the test whose "agent code" makes one ctx call (llm.chat) for its task and
 * either lets the call's error through or throws its own.
 */
class CallingWorker implements AgentWorker {
	readonly runtime = "inprocess" as const;
	readonly pid = undefined;
	constructor(private readonly hooks: WorkerHooks) {}
	async start(): Promise<void> {}
	async run(_kind: "task" | "message", _id: string, payload: unknown, _caller: Caller, origin?: TaskOrigin): Promise<unknown> {
		const task = payload as { type: string };
		try {
			return await this.hooks.onCall("llm.chat", [{ messages: [] }], origin);
		} catch (err) {
			if (task.type === "own") throw new Errors.MoleculerClientError("made up", 402, "BUDGET_EXCEEDED");
			throw err;
		}
	}
	async ping(): Promise<void> {}
	async stop(): Promise<void> {}
	kill(): void {}
	output(): string[] {
		return [];
	}
}

describe("agent calls: one port, children of the task's context, errors kept", () => {
	const broker = new ServiceBroker({ logger: false, nodeID: "calls-test" });
	const seen: Seen[] = [];
	let refuse: Error | undefined;
	const manifest = parseManifest({ id: "caller-agent", name: "Caller", entryPoint: "x.js", permissions: ["llm.execute"] });
	let runtime: AgentRuntime;

	beforeAll(async () => {
		// The node's composition gives agents ctx.llm.
		ctxMethodsOf(broker).register(...frameworkCtxMethods);
		broker.createService({
			name: "mal",
			actions: {
				chat(ctx: Context<unknown, { caller?: Caller; user?: unknown }>) {
					seen.push({ requestID: ctx.requestID, parentID: ctx.parentID, caller: ctx.meta.caller, user: ctx.meta.user, timeout: ctx.options.timeout ?? undefined });
					if (refuse) throw refuse;
					return { ok: true };
				}
			}
		});
		runtime = new AgentRuntime(manifest, {
			nodeID: broker.nodeID,
			logger: broker.getLogger("test"),
			maxTaskTimeoutMs: 60_000,
			heartbeatIntervalMs: 60_000,
			heartbeatTimeoutMs: 60_000,
			stopGraceMs: 100,
			createWorker: hooks => new CallingWorker(hooks),
			onCall: createCtxBridge({ broker, manifest, signer: new EnvelopeSigner("s"), state: {} as StateStore }),
			onTransition: () => undefined
		});
		// The task's door, as the actor's `ask` is: the context it runs in is the task's.
		broker.createService({
			name: "door",
			actions: {
				ask(ctx: Context<{ type: string }>) {
					return runtime.submit("task", ctx.params, { kind: "user", id: "ada" }, { taskId: `t${seen.length}`, timeoutMs: 5000, parent: ctx });
				}
			}
		});
		await broker.start();
		await runtime.start();
	});
	afterAll(async () => {
		await runtime.stop();
		await broker.stop();
	});
	beforeEach(() => {
		seen.length = 0;
		refuse = undefined;
	});

	it("runs the agent's call as a child of the task's context: its request id, within its time, as the agent and never as the sender", async () => {
		await broker.call("door.ask", { type: "call" }, { requestID: "req-42", meta: { user: { id: "ada", scopes: ["admin"] } } });
		expect(seen).toHaveLength(1);
		expect(seen[0]).toMatchObject({ requestID: "req-42", caller: { kind: "agent", id: "caller-agent" }, user: undefined });
		expect(seen[0].parentID).toEqual(expect.any(String));
		expect(seen[0].timeout).toBeGreaterThan(0);
		expect(seen[0].timeout).toBeLessThanOrEqual(5000);
	});

	it("hands the caller a refusal from the cluster as it is, retryable included; what the agent's own code throws stays its failure", async () => {
		refuse = new Errors.MoleculerRetryableError("the model is overloaded", 503, "MODEL_UNAVAILABLE", { provider: "p" });
		await expect(broker.call("door.ask", { type: "call" })).rejects.toMatchObject({ type: "MODEL_UNAVAILABLE", code: 503, retryable: true, data: { provider: "p" } });
		await expect(broker.call("door.ask", { type: "own" })).rejects.toMatchObject({ type: "AGENT_TASK_FAILED", code: 502, data: { error: { message: "made up" } } });
	});
});
