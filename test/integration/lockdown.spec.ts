import type { Sanction } from "../../lib/governance/sanction-store";
import type { Lockdown } from "../../lib/governance/lockdown-store";
import type { AuditRecord } from "../../lib/security/audit-log";
import type { ErrorBody } from "../../services/api.service";
import { echoManifest, FAST_AGENT_ENV, post, spawnAgent, task, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { connect, type WsTestClient } from "../support/ws-client";

const echo = { task: { type: "echo", n: 1 } };

describe("incident lockdown on a real node: every agent (or a selection) quarantined at once and released the same way", () => {
	let t: TestNode;
	let watcher: WsTestClient;

	const status = async () => (await t.json<{ lockdown: Lockdown | null }>("/api/v1/governance/lockdown")).lockdown;
	const lockdownEvents = () => watcher.all.filter(m => m.type === "event" && m.payload?.event === "governance.lockdown").map(m => m.payload!.data as { change: string; lockdown: Lockdown });

	beforeAll(async () => {
		t = await startTestNode(FAST_AGENT_ENV);
		await t.node.ready;
		await Promise.all(["calm", "busy", "spare"].map(id => spawnAgent(t, echoManifest(id))));
		await Promise.all(["calm", "busy", "spare"].map(id => untilState(t, id, "running")));
		watcher = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${t.token}` });
		expect(await watcher.request("subscribe", { events: ["governance.lockdown", "audit.recorded"] })).toMatchObject({ type: "result" });
	}, 60_000);

	afterAll(async () => {
		watcher?.close();
		await t?.stop();
	});

	it("refuses bad input with a 422 that names the field, and a lift with nothing in force with a 409", async () => {
		const empty = await post<ErrorBody>(t, "/api/v1/governance/lockdown", { reason: "  " });
		expect(empty.status).toBe(422);
		expect(JSON.stringify(empty.body.error.data)).toContain('"field":"reason"');
		const unknown = await post<ErrorBody>(t, "/api/v1/governance/lockdown", { reason: "leak suspected", agentIds: ["calm", "nobody"] });
		expect(unknown.status).toBe(422);
		expect(unknown.body.error.message).toContain("nobody");
		expect(JSON.stringify(unknown.body.error.data)).toContain('"field":"agentIds"');
		const none = await post<ErrorBody>(t, "/api/v1/governance/lockdown", { reason: "leak suspected", agentIds: [] });
		expect(none.status).toBe(422);
		expect(JSON.stringify(none.body.error.data)).toContain('"field":"agentIds"');
		// Nothing was quarantined by the refused requests.
		expect(await status()).toBeNull();
		expect((await task(t, "calm", echo)).status).toBe(200);
		const lift = await post<ErrorBody>(t, "/api/v1/governance/lockdown/lift", { reason: "all clear" });
		expect(lift).toMatchObject({ status: 409, body: { error: { type: "NO_LOCKDOWN" } } });
	});

	it("a selection lockdown quarantines only the agents named; the others keep working", async () => {
		const started = await post<Lockdown>(t, "/api/v1/governance/lockdown", { reason: "busy leaks secrets", agentIds: ["busy"] });
		expect(started).toMatchObject({ status: 201, body: { selection: ["busy"], agents: ["busy"], reason: "busy leaks secrets", liftedAt: null } });
		const refused = await task(t, "busy", echo);
		expect(refused.status).toBe(423);
		expect(refused.body.error).toMatchObject({ type: "AGENT_QUARANTINED", data: { agentId: "busy" } });
		expect((await task(t, "calm", echo)).status).toBe(200);
		expect((await post<Lockdown>(t, "/api/v1/governance/lockdown/lift", { reason: "rotated the keys" })).status).toBe(200);
		await untilState(t, "busy", "running");
		expect((await task(t, "busy", echo)).status).toBe(200);
	}, 30_000);

	it("locks every agent down, refuses a second lockdown, tells WebSocket clients, and lifts exactly its own quarantines", async () => {
		// A quarantine made by a moderator before the lockdown must outlive the lockdown's lift.
		const own = await post<Sanction>(t, "/api/v1/sanctions", { agentId: "spare", kind: "quarantine", reason: "under review" });
		expect(own.status).toBe(201);
		await untilState(t, "spare", "stopped");

		const started = await post<Lockdown>(t, "/api/v1/governance/lockdown", { reason: "incident 42: prompt injection" });
		expect(started.status).toBe(201);
		expect(started.body).toMatchObject({ selection: null, agents: ["busy", "calm", "spare"], createdBy: "admin" });
		expect(await status()).toMatchObject({ id: started.body.id, reason: "incident 42: prompt injection", agents: ["busy", "calm", "spare"] });
		await eventually("the started event on the WebSocket", () => lockdownEvents().some(e => e.change === "started" && e.lockdown.id === started.body.id));

		const again = await post<ErrorBody>(t, "/api/v1/governance/lockdown", { reason: "second one" });
		expect(again).toMatchObject({ status: 409, body: { error: { type: "LOCKDOWN_ACTIVE", data: { lockdownId: started.body.id } } } });

		for (const id of ["calm", "busy"]) {
			const refused = await task(t, id, echo);
			expect(refused.status).toBe(423);
			expect(refused.body.error).toMatchObject({ type: "AGENT_QUARANTINED", data: { agentId: id } });
			expect(refused.body.error.message).toContain("incident 42");
		}
		await untilState(t, "calm", "stopped");
		// An agent spawned during a lockdown of every agent is quarantined as it starts.
		await spawnAgent(t, echoManifest("late"));
		await eventually("late to be held by the lockdown", async () => (await status())?.agents.includes("late") === true);
		await untilState(t, "late", "stopped");
		expect((await task(t, "late", echo)).body.error).toMatchObject({ type: "AGENT_QUARANTINED" });
		await eventually("the covered event on the WebSocket", () => lockdownEvents().some(e => e.change === "covered" && e.lockdown.agents.includes("late")));
		const made = await t.json<{ rows: Sanction[] }>(`/api/v1/sanctions?lockdownId=${started.body.id}`);
		expect(made.rows.map(s => s.agentId).sort()).toEqual(["busy", "calm", "late", "spare"]);

		const lifted = await post<Lockdown>(t, "/api/v1/governance/lockdown/lift", { reason: "injection blocked upstream" });
		expect(lifted).toMatchObject({ status: 200, body: { id: started.body.id, liftedBy: "admin", liftReason: "injection blocked upstream" } });
		expect(await status()).toBeNull();
		await eventually("the lifted event on the WebSocket", () => lockdownEvents().some(e => e.change === "lifted" && e.lockdown.id === started.body.id));
		await untilState(t, "calm", "running");
		expect((await task(t, "calm", echo)).status).toBe(200);
		await untilState(t, "late", "running");
		// The moderator's own quarantine still holds: spare stays stopped and refused.
		const spare = await task(t, "spare", echo);
		expect(spare.body.error).toMatchObject({ type: "AGENT_QUARANTINED", data: { sanctionId: own.body.id } });
		expect(await t.json<Sanction[]>("/api/v1/sanctions/agents/spare")).toEqual([expect.objectContaining({ id: own.body.id })]);
	}, 60_000);

	it("audits the start, the refusal and the lift, with who did it", async () => {
		await t.node.audit.flush();
		const entries = async (action: string) => (await t.json<{ items: AuditRecord[] }>(`/api/v1/audit?action=${action}`)).items;
		const starts = await entries("lockdown.start");
		expect(starts.filter(e => e.outcome === "succeeded")).toHaveLength(2);
		expect(starts.filter(e => e.outcome === "failed" || e.outcome === "denied").length).toBeGreaterThanOrEqual(1);
		expect(starts.every(e => e.actor.id === "admin")).toBe(true);
		expect((await entries("lockdown.lift")).filter(e => e.outcome === "succeeded")).toHaveLength(2);
		// Its actors were stopped in the name of the person who locked them down.
		expect((await entries("agents.stop")).filter(e => e.target === "calm").map(e => e.actor.id)).toEqual(["admin"]);
		const refusals = (await t.json<{ items: AuditRecord[] }>("/api/v1/audit?action=agents.submitTask&outcome=denied&target=calm")).items;
		expect(refusals.some(e => e.data.reason === "AGENT_QUARANTINED")).toBe(true);
		expect(refusals.every(e => e.target === "calm")).toBe(true);
	});

	it("streams each audit entry to WebSocket subscribers of audit.recorded as it is recorded", () => {
		const live = watcher.all.filter(m => m.type === "event" && m.payload?.event === "audit.recorded").map(m => m.payload!.data as Omit<AuditRecord, "seq">);
		expect(live.filter(e => e.action === "lockdown.start" && e.outcome === "succeeded")).toEqual([
			expect.objectContaining({ actor: { kind: "user", id: "admin" }, node: t.node.broker.nodeID, at: expect.any(String) }),
			expect.objectContaining({ actor: { kind: "user", id: "admin" } })
		]);
		expect(live.some(e => e.action === "agents.submitTask" && e.outcome === "denied" && e.target === "busy" && e.data.reason === "AGENT_QUARANTINED")).toBe(true);
	});
});
