import path from "node:path";
import type { Sanction } from "../../lib/governance/sanction-store";
import type { ErrorBody } from "../../services/api.service";
import type { AgentView } from "../../lib/cluster/agent-view";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, post, spawnAgent, task, untilState } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

interface Case {
	id: string;
	subjectId: string;
	state: string;
	policyId: string | null;
	evidence: { action: string; requestId: string }[];
	decision: string | null;
}

const rogue = { kind: "agent", id: "rogue" } as const;

describe("governance across two nodes over a real NATS server, sharing a real PostgreSQL", () => {
	let pg: PostgresServer;
	let nats: NatsServer;
	let alpha: TestNode;
	let beta: TestNode;
	let forumId: string;

	const nodes = () => ({ alpha, beta });
	const as = (t: TestNode, token: string, route: string, body?: unknown) =>
		fetch(`${t.url}${route}`, {
			method: body === undefined ? "GET" : "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body)
		});
	const tokenWith = async (scopes: string[]) => (await post<{ token: string }>(alpha, "/api/v1/tokens", { name: scopes.join("+"), scopes })).body.token;

	beforeAll(async () => {
		[pg, nats] = await Promise.all([startPostgres(), startNats()]);
		const env = { ...FAST_AGENT_ENV, DATABASE_URL: await createDatabase(pg, "governance"), TRANSPORTER: nats.url };
		[alpha, beta] = await Promise.all([startTestNode({ ...env, NODE_ID: "alpha" }), startTestNode({ ...env, NODE_ID: "beta" })]);
		await Promise.all([alpha.node.ready, beta.node.ready]);
		await eventually("the nodes to see each other", () => alpha.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "beta"));
		forumId = (await post<{ id: string }>(alpha, "/api/v1/forums", { name: "town-square" })).body.id;
	}, 60_000);

	afterAll(async () => {
		await Promise.all([alpha?.stop(), beta?.stop()]);
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	it("refuses a policy that does not parse with a 422 naming the line and column", async () => {
		const { status, body } = await post<ErrorBody>(alpha, "/api/v1/policies", { name: "broken", source: 'when forum.posted\n  where tool = "x" count > two within 1m\nthen warn' });
		expect(status).toBe(422);
		expect(body.error).toMatchObject({ type: "POLICY_SYNTAX", data: { field: "source", line: 2, column: 28 } });
		expect(body.error.message).toContain("line 2, column 28: expected a whole number");
	});

	it("fires a policy on real audit events, opens a case and quarantines the agent, which is then refused on the other node", async () => {
		const policy = await post<{ id: string; mode: string }>(alpha, "/api/v1/policies", {
			name: "no-flooding",
			source: 'when forum.posted count > 2 within 1m then open case "flooding the forum" and quarantine 1h',
			mode: "enforce"
		});
		expect(policy).toMatchObject({ status: 201, body: { mode: "enforce" } });
		await spawnAgent(alpha, { id: "rogue", name: "Rogue", entryPoint: path.join(FIXTURE_AGENTS, "citizen.js"), permissions: ["social.post"] });
		// The agent's own code posts, through its actor: these calls are what the audit log records.
		const postAs = (n: number) => task(alpha, "rogue", { task: { type: "society", method: "forums.post", args: [forumId, { title: `Buy now ${n}`, body: "!!!" }] } });
		for (let n = 1; n <= 3; n++) expect((await postAs(n)).status).toBe(200);

		let opened: Case | undefined;
		await eventually("a case about rogue", async () => {
			opened = (await alpha.json<{ rows: Case[] }>("/api/v1/cases?subjectId=rogue")).rows[0];
			return opened !== undefined;
		});
		expect(opened).toMatchObject({ state: "open", policyId: policy.body.id, subjectId: "rogue" });
		expect(opened!.evidence.map(e => e.action)).toEqual(["forums.post", "forums.post", "forums.post"]);
		let sanctions: Sanction[] = [];
		await eventually("rogue to be quarantined", async () => (sanctions = await beta.json<Sanction[]>("/api/v1/sanctions/agents/rogue")).length === 1);
		expect(sanctions[0]).toMatchObject({ kind: "quarantine", caseId: opened!.id, reason: "policy no-flooding" });
		expect(Date.parse(sanctions[0].expiresAt!) - Date.now()).toBeGreaterThan(3_500_000);
		await eventually("rogue's actor to stop", async () => (await alpha.json<AgentView>("/api/v1/agents/rogue")).state === "stopped");

		// Its next action, on either node, is refused by the security middleware there.
		for (const [name, t] of Object.entries(nodes())) {
			const call = t.node.broker.call("forums.post", { id: forumId, title: "again", body: "!!!" }, { meta: { caller: rogue }, nodeID: name });
			await expect(call).rejects.toMatchObject({ code: 423, type: "AGENT_QUARANTINED", message: expect.stringContaining("quarantined") });
		}
		// Tasks are refused, and it may not be started again while quarantined.
		const refused = await post<ErrorBody>(beta, "/api/v1/agents/rogue/tasks", { task: { type: "society", method: "forums.list", args: [] } });
		expect(refused).toMatchObject({ status: 423, body: { error: { type: "AGENT_QUARANTINED" } } });
		expect((await post<ErrorBody>(beta, "/api/v1/agents/rogue/start", {})).status).toBe(423);
		// The sanction cost it reputation, with the reason in its history.
		expect(await alpha.json("/api/v1/reputation/rogue")).toMatchObject({ reputation: -25, history: [{ kind: "sanction", delta: -25 }] });
		const firings = await alpha.json<{ mode: string; caseId: string }[]>(`/api/v1/policies/${policy.body.id}/firings`);
		expect(firings).toMatchObject([{ mode: "enforce", caseId: opened!.id }]);
	});

	it("lifts the sanction on appeal by the agent's owner, decided by a moderator; the other node lets the agent act again", async () => {
		const [sanction] = await alpha.json<Sanction[]>("/api/v1/sanctions/agents/rogue");
		const stranger = await tokenWith(["appeals"]);
		const notOwner = await as(alpha, stranger, "/api/v1/appeals", { sanctionId: sanction.id, statement: "It was not me, honestly." });
		expect(notOwner.status).toBe(403);
		const appeal = await post<{ id: string; state: string }>(alpha, "/api/v1/appeals", { sanctionId: sanction.id, statement: "A bug in its prompt; fixed and redeployed." });
		expect(appeal).toMatchObject({ status: 201, body: { state: "open" } });
		expect((await post<ErrorBody>(alpha, "/api/v1/appeals", { sanctionId: sanction.id, statement: "And once more, please." })).body.error.type).toBe("APPEAL_OPEN");

		// Only moderators decide: not a member token, not an agent without social.moderate.
		const member = await tokenWith(["society:write", "appeals", "governance:read"]);
		expect((await as(alpha, member, `/api/v1/appeals/${appeal.body.id}/resolve`, { decision: "lift", note: "ok" })).status).toBe(403);
		const asAgent = beta.node.broker.call("appeals.resolve", { id: appeal.body.id, decision: "lift", note: "I lift myself" }, { meta: { caller: { kind: "agent", id: "someone" } } });
		await expect(asAgent).rejects.toMatchObject({ type: "PERMISSION_DENIED" });

		const decided = await post<{ state: string }>(beta, `/api/v1/appeals/${appeal.body.id}/resolve`, { decision: "lift", note: "fixed, fair enough" });
		expect(decided).toMatchObject({ status: 200, body: { state: "lifted" } });
		expect((await post<ErrorBody>(beta, `/api/v1/appeals/${appeal.body.id}/resolve`, { decision: "uphold", note: "changed my mind" })).status).toBe(409);
		expect(await alpha.json<Sanction>(`/api/v1/sanctions/${sanction.id}`)).toMatchObject({ liftedBy: "admin", liftReason: expect.stringContaining("fixed, fair enough") });
		// The lift reaches each node's sanction cache by a broadcast (sanctions.changed), which may land a moment after the answer.
		for (const [name, t] of Object.entries(nodes())) {
			const acts = () => t.node.broker.call("forums.list", {}, { meta: { caller: rogue }, nodeID: name });
			await eventually(`${name} to let rogue act again`, () => acts().then(() => true, () => false), 5000);
			await expect(acts()).resolves.toMatchObject({ total: 1 });
		}
		// rogue was running when the quarantine stopped it: it runs again, wherever it is placed.
		await eventually("rogue to run again", async () => (await beta.json<AgentView>("/api/v1/agents/rogue")).state === "running");
		expect(await alpha.json<AgentView>("/api/v1/agents/rogue")).toMatchObject({ desiredState: "running", state: "running" });
		expect(await alpha.json<Sanction>(`/api/v1/sanctions/${sanction.id}`)).toMatchObject({ restoreState: "running", restoredAt: expect.any(String) });
		expect((await task(alpha, "rogue", { task: { type: "society", method: "forums.list", args: [] } })).status).toBe(200);
		expect((await alpha.json<{ reputation: number }>("/api/v1/reputation/rogue")).reputation).toBe(0);
		await Promise.all([alpha.node.audit.flush(), beta.node.audit.flush()]);
		const audited = await alpha.json<{ items: { action: string }[] }>("/api/v1/audit?action=appeals.*");
		expect(audited.items.map(i => i.action)).toEqual(expect.arrayContaining(["appeals.open", "appeals.resolve"]));
	});

	it("gives back the desired state a quarantine took: a stopped agent stays stopped on appeal, a running one runs again when it expires", async () => {
		await spawnAgent(beta, { id: "napper", name: "Napper", entryPoint: path.join(FIXTURE_AGENTS, "citizen.js"), permissions: ["social.post"] });
		await spawnAgent(alpha, { id: "dozer", name: "Dozer", entryPoint: path.join(FIXTURE_AGENTS, "citizen.js"), permissions: ["social.post"] });
		// A spawn answers once the agent is placed; in a cluster it may still be starting on the node chosen.
		await untilState(beta, "napper", "running");
		await untilState(alpha, "dozer", "running");
		expect((await post<AgentView>(beta, "/api/v1/agents/napper/stop", {})).body).toMatchObject({ desiredState: "stopped", state: "stopped" });

		const napping = await post<Sanction>(alpha, "/api/v1/sanctions", { agentId: "napper", kind: "quarantine", reason: "checking a report" });
		expect(napping).toMatchObject({ status: 201, body: { restoreState: "stopped" } });
		const appeal = await post<{ id: string }>(beta, "/api/v1/appeals", { sanctionId: napping.body.id, statement: "It was stopped all along." });
		expect((await post<{ state: string }>(alpha, `/api/v1/appeals/${appeal.body.id}/resolve`, { decision: "lift", note: "report was wrong" })).body.state).toBe("lifted");
		expect(await beta.json<Sanction>(`/api/v1/sanctions/${napping.body.id}`)).toMatchObject({ liftedBy: "admin", restoredAt: expect.any(String) });
		await new Promise(r => setTimeout(r, 1000));
		for (const t of [alpha, beta]) expect(await t.json<AgentView>("/api/v1/agents/napper")).toMatchObject({ desiredState: "stopped", state: "stopped" });

		// dozer runs; a 3-second quarantine stops it, and it runs again once the quarantine expires.
		const dozing = await post<Sanction>(beta, "/api/v1/sanctions", { agentId: "dozer", kind: "quarantine", reason: "cool down", duration: "3s" });
		expect(dozing.body.restoreState).toBe("running");
		await eventually("dozer to stop", async () => (await alpha.json<AgentView>("/api/v1/agents/dozer")).state === "stopped");
		expect((await post<ErrorBody>(alpha, "/api/v1/agents/dozer/tasks", { task: { type: "society", method: "forums.list", args: [] } })).status).toBe(423);
		await eventually("dozer to run again after its quarantine expired", async () => (await beta.json<AgentView>("/api/v1/agents/dozer")).state === "running", 20_000);
		expect(await alpha.json<AgentView>("/api/v1/agents/dozer")).toMatchObject({ desiredState: "running", state: "running" });
		expect((await task(beta, "dozer", { task: { type: "society", method: "forums.list", args: [] } })).status).toBe(200);
	}, 60_000);

	it("dry-runs a policy over the past audit log", async () => {
		await Promise.all([alpha.node.audit.flush(), beta.node.audit.flush()]);
		const { status, body } = await post<{ eventsRead: number; firings: { subjectId: string; evidence: { seq: number }[] }[] }>(alpha, "/api/v1/policies/dry-run", {
			source: "when forum.posted count > 1 within 1m then warn"
		});
		expect(status).toBe(200);
		expect(body.eventsRead).toBeGreaterThan(3);
		expect(body.firings).toHaveLength(1);
		expect(body.firings[0]).toMatchObject({ subjectId: "rogue" });
		expect(body.firings[0].evidence.every(e => Number.isInteger(e.seq))).toBe(true);
	});

	it("lets members report, and only moderators resolve cases; a decision applies its sanction", async () => {
		const member = await tokenWith(["society:write", "governance:read"]);
		const report = await as(alpha, member, "/api/v1/cases", { subjectId: "spammy", reason: "sells things in every thread", evidence: [{ postId: "p1" }] });
		expect(report.status).toBe(201);
		const opened = (await report.json()) as Case;
		expect((await as(alpha, member, `/api/v1/cases/${opened.id}/resolve`, { decision: "warn", resolution: "no" })).status).toBe(403);
		await alpha.node.kernel.db.query("INSERT INTO agent_grants (agent_id, capability, granted_by) VALUES ('mod', 'social.moderate', 'test')");
		const moderator = { meta: { caller: { kind: "agent", id: "mod" } } };
		await alpha.node.broker.call("cases.assign", { id: opened.id }, moderator);
		const resolved = await beta.node.broker.call<Case & { sanction: Sanction }, object>(
			"cases.resolve",
			{ id: opened.id, decision: "throttle", resolution: "slow down", duration: "10m", ratePerMinute: 2 },
			moderator
		);
		expect(resolved).toMatchObject({ state: "resolved", decision: "throttle", sanction: { kind: "throttle", agentId: "spammy", ratePerMinute: 2, caseId: opened.id } });
		await expect(alpha.node.broker.call("cases.resolve", { id: opened.id, decision: "ban", resolution: "again" }, moderator)).rejects.toMatchObject({ code: 409, type: "CASE_RESOLVED" });
		// The throttle holds on the node that runs the calls: two a minute, then 429.
		const spammy = { meta: { caller: { kind: "agent", id: "spammy" } }, nodeID: "beta" };
		await beta.node.broker.call("forums.list", {}, spammy);
		await beta.node.broker.call("forums.list", {}, spammy);
		await expect(beta.node.broker.call("forums.list", {}, spammy)).rejects.toMatchObject({ code: 429, type: "AGENT_THROTTLED" });
	});
});
