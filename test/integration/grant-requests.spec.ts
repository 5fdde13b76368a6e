import fs from "node:fs";
import path from "node:path";
import type { AuditRecord } from "../../lib/security/audit-log";
import type { PendingGrant } from "../../lib/security/grant-requests";
import type { Grant } from "../../lib/security/grant-store";
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ErrorBody } from "../../services/api.service";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

const ASKED = ["llm.execute", "memory.read", "tools.execute", "fs.read", "shell.exec", "network.fetch", "a2a.send", "social.moderate"];
// In the order of the capabilities' list, as the node shows them.
const BEYOND_SAFE = ["tools.execute", "network.fetch", "fs.read", "shell.exec", "a2a.send", "social.moderate"];

describe("capabilities a manifest asks for, spawned without admin rights", () => {
	let t: TestNode;
	let operator: string;
	const workspace = testTempDir("agentos-grants-");

	const as = (token: string, route: string, init: RequestInit = {}) =>
		fetch(`${t.url}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
	const grantsOf = (id: string) => t.json<{ items: Grant[]; pending: PendingGrant[] }>(`/api/v1/agents/${id}/grants`);
	const readNotes = (id: string) => task<{ content: { content: string } }>(t, id, { task: { type: "tool", toolId: "builtin:file_read", arguments: { path: "notes.txt" } } });
	const audit = async (query: string) => {
		await t.node.audit.flush();
		return (await t.json<{ items: AuditRecord[] }>(`/api/v1/audit?${query}`)).items;
	};

	beforeAll(async () => {
		fs.writeFileSync(path.join(workspace, "notes.txt"), "the launch is on the 14th\n");
		t = await startTestNode({ ...FAST_AGENT_ENV, ALLOWED_PATHS: workspace });
		await t.node.ready;
		// What a team member gets to run agents: spawn, read, send tasks, decide approvals — not admin.
		operator = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "operator", scopes: ["agents:write", "agents:read", "tasks", "approvals"] })).body.token;
	});
	afterAll(() => t.stop());

	it("grants the safe set only; the rest waits for an admin, visible on the agent and its grants, and audited", async () => {
		const res = await as(operator, "/api/v1/agents", { method: "POST", body: JSON.stringify({ manifest: echoManifest("ambitious", { permissions: ASKED, trustLevel: "autonomous" }) }) });
		expect(res.status).toBe(201);
		const view = (await res.json()) as AgentView;
		expect(view.pendingCapabilities).toEqual(BEYOND_SAFE);
		expect((await t.json<AgentView>("/api/v1/agents/ambitious")).pendingCapabilities).toEqual(BEYOND_SAFE);

		const grants = await grantsOf("ambitious");
		expect(grants.items.map(g => g.capability).sort()).toEqual(["llm.execute", "memory.read"]);
		expect(grants.pending.map(p => p.capability)).toEqual(BEYOND_SAFE);
		expect(grants.pending[0]).toMatchObject({ requestedBy: expect.stringMatching(/^token:/), approvalId: expect.any(String) });

		const requested = await audit("action=permissions.request&agentId=ambitious");
		expect(requested.map(e => e.data.capability).sort()).toEqual([...BEYOND_SAFE].sort());
		expect(requested[0].actor).toEqual({ kind: "user", id: expect.stringMatching(/^token:/) });
	});

	it("refuses the agent's call that needs a pending capability until an admin approves it; then it works", async () => {
		const { pending } = await grantsOf("ambitious");
		const approvalOf = (capability: string) => pending.find(p => p.capability === capability)!.approvalId;
		const refused = await readNotes("ambitious");
		// The refusal says what to do about it.
		expect(refused.body.error).toMatchObject({
			type: "PERMISSION_DENIED",
			message: expect.stringContaining(`lacks the permission tools.execute (requested; it waits for an admin: POST /api/v1/approvals/${approvalOf("tools.execute")}/approve)`)
		});
		// The `approvals` scope decides actions, not grants: the spawner cannot approve its own request.
		const self = await as(operator, `/api/v1/approvals/${approvalOf("tools.execute")}/approve`, { method: "POST", body: "{}" });
		expect(self.status).toBe(403);
		expect(((await self.json()) as ErrorBody).error).toMatchObject({ type: "FORBIDDEN_SCOPE", data: { scope: "admin" } });
		expect((await grantsOf("ambitious")).items.map(g => g.capability)).not.toContain("tools.execute");

		for (const capability of ["tools.execute", "fs.read"]) {
			const approved = await post<{ status: string }>(t, `/api/v1/approvals/${approvalOf(capability)}/approve`, { note: "reviewed" });
			expect(approved).toMatchObject({ status: 200, body: { status: "approved" } });
		}
		const allowed = await readNotes("ambitious");
		expect(allowed.status).toBe(200);
		expect(allowed.body.result.content.content).toBe("the launch is on the 14th\n");
		expect((await t.json<AgentView>("/api/v1/agents/ambitious")).pendingCapabilities).toEqual(["network.fetch", "shell.exec", "a2a.send", "social.moderate"]);

		const granted = await audit("action=permissions.grant&agentId=ambitious&outcome=succeeded");
		expect(granted.map(e => ({ actor: e.actor, capability: e.data.capability })).sort((a, b) => String(a.capability).localeCompare(String(b.capability)))).toEqual([
			{ actor: { kind: "user", id: "admin" }, capability: "fs.read" },
			{ actor: { kind: "user", id: "admin" }, capability: "tools.execute" }
		]);
	});

	it("grants nothing when an admin denies the request, and records the refusal", async () => {
		const { pending } = await grantsOf("ambitious");
		const shell = pending.find(p => p.capability === "shell.exec")!;
		expect((await post(t, `/api/v1/approvals/${shell.approvalId}/deny`, { note: "no shell for this one" })).status).toBe(200);
		const after = await grantsOf("ambitious");
		expect(after.items.map(g => g.capability)).not.toContain("shell.exec");
		expect(after.pending.map(p => p.capability)).toEqual(["network.fetch", "a2a.send", "social.moderate"]);
		const denied = await audit("action=permissions.grant&agentId=ambitious&outcome=denied");
		expect(denied).toEqual([expect.objectContaining({ actor: { kind: "user", id: "admin" }, data: expect.objectContaining({ capability: "shell.exec", approvalId: shell.approvalId }) })]);
	});

	it("closes a request when an admin grants the capability directly", async () => {
		expect((await post(t, "/api/v1/agents/ambitious/grants", { capability: "network.fetch" })).status).toBe(201);
		expect((await grantsOf("ambitious")).pending.map(p => p.capability)).toEqual(["a2a.send", "social.moderate"]);
	});

	it("closes the open requests of a deleted agent, so a new agent of that name does not inherit them", async () => {
		expect((await t.request("/api/v1/agents/ambitious", { method: "DELETE" })).status).toBe(200);
		const { items } = await t.json<{ items: { agentId: string }[] }>("/api/v1/approvals?status=pending");
		expect(items.filter(a => a.agentId === "ambitious")).toEqual([]);
		const again = await as(operator, "/api/v1/agents", { method: "POST", body: JSON.stringify({ manifest: echoManifest("ambitious", { permissions: ["llm.execute"] }) }) });
		expect(again.status).toBe(201);
		expect(await grantsOf("ambitious")).toMatchObject({ items: [expect.objectContaining({ capability: "llm.execute" })], pending: [] });
	});

	it("gives an admin's spawn everything the manifest asks for", async () => {
		const view = await spawnAgent(t, echoManifest("trusted", { permissions: ASKED }));
		expect(view.pendingCapabilities).toEqual([]);
		expect((await grantsOf("trusted")).items.map(g => g.capability).sort()).toEqual([...ASKED].sort());
	});
});
