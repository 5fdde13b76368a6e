import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { DirectoryEntry } from "../../lib/society/society-views";
import type { RemoteAgent } from "../../lib/tools/a2a/remote-agent-store";
import type { ToolInfo } from "../../lib/tools/tool";
import type { ErrorBody } from "../../services/api.service";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, echoManifest, post, spawnAgent, task } from "../support/agents";
import { startA2aPeer, type A2aPeer } from "../support/a2a-peer";
import { startTestNode, type TestNode } from "../support/test-node";

const asker = (id: string, permissions: string[]) => ({ id, name: `Asker ${id}`, entryPoint: path.join(FIXTURE_AGENTS, "a2a-asker.js"), permissions, trustLevel: "autonomous" });
type Page = { items: DirectoryEntry[]; total: number };

describe("a2a_send on a node, and remote agents in the directory", () => {
	let t: TestNode;
	let peer: A2aPeer;
	let guarded: A2aPeer;
	let odd: http.Server;
	let oddHost: string;
	let downCardUrl: string;

	beforeAll(async () => {
		peer = await startA2aPeer({ name: "Echo Peer" });
		guarded = await startA2aPeer({ name: "Guarded Peer", token: "peer-secret" });
		// A site on the allowlist that is no A2A agent: a card without a name, and a 404.
		odd = http.createServer((req, res) => {
			res.writeHead(req.url === "/nameless.json" ? 200 : 404, { "content-type": "application/json" });
			res.end(req.url === "/nameless.json" ? JSON.stringify({ description: "no name", supportedInterfaces: [] }) : "{}");
		});
		await new Promise<void>(resolve => odd.listen(0, "127.0.0.1", resolve));
		oddHost = `127.0.0.1:${(odd.address() as AddressInfo).port}`;
		// An allowlisted address where nothing listens any more.
		const gone = await startA2aPeer();
		downCardUrl = gone.cardUrl;
		await gone.close();
		t = await startTestNode({ ...FAST_AGENT_ENV, ALLOWED_DOMAINS: [new URL(peer.baseUrl).host, new URL(guarded.baseUrl).host, oddHost, new URL(downCardUrl).host].join(",") });
		await t.node.ready;
		await spawnAgent(t, asker("asker", ["tools.execute", "a2a.remote"]));
		await spawnAgent(t, asker("grounded", ["tools.execute"]));
	});
	afterAll(async () => {
		await t.stop();
		await peer.close();
		await guarded.close();
		odd.close();
	});

	it("lists a2a_send and a2a_get_task as built-ins that need a2a.remote", async () => {
		const tools = await t.json<ToolInfo[]>("/api/v1/tools");
		expect(tools.find(x => x.id === "builtin:a2a_send")).toMatchObject({ capability: "a2a.remote", source: "builtin" });
		expect(tools.find(x => x.id === "builtin:a2a_get_task")).toMatchObject({ capability: "a2a.remote", source: "builtin" });
	});

	it("lets an agent with a2a.remote ask a remote agent by its card URL and use the answer", async () => {
		const { status, body } = await task<{ relayed: string }>(t, "asker", { task: { type: "ask", cardUrl: peer.cardUrl, message: "good morning" } });
		expect(status).toBe(200);
		expect(body.result.relayed).toBe("ECHO: GOOD MORNING");
	});

	it("refuses an agent without the a2a.remote grant (403), and a card URL the guard refuses", async () => {
		const refused = await task(t, "grounded", { task: { type: "ask", cardUrl: peer.cardUrl, message: "hi" } });
		expect(refused.status).toBe(403);
		expect(refused.body.error).toMatchObject({ type: "PERMISSION_DENIED", data: { agentId: "grounded", capability: "a2a.remote" } });
		const metadata = await task(t, "asker", { task: { type: "ask", cardUrl: "http://169.254.169.254/.well-known/agent-card.json", message: "hi" } });
		expect(metadata.status).toBe(403);
		expect(metadata.body.error).toMatchObject({ type: "TOOL_REFUSED", data: { toolId: "builtin:a2a_send" } });
	});

	it("adds a remote agent by its card, which directory search then finds like a local one", async () => {
		await spawnAgent(t, echoManifest("local-echo"));
		const added = await post<RemoteAgent>(t, "/api/v1/directory/remote", { cardUrl: guarded.cardUrl, token: "peer-secret" });
		expect(added.status).toBe(201);
		const id = `guarded-peer@${new URL(guarded.baseUrl).host}`;
		expect(added.body).toMatchObject({ id, name: "Guarded Peer", description: "Echoes what it is sent", skills: ["echo"], url: `${guarded.baseUrl}/rpc`, cardUrl: guarded.cardUrl, hasToken: true });
		expect(JSON.stringify(added.body)).not.toContain("peer-secret");
		// Adding the same card again refreshes the entry.
		expect((await post<RemoteAgent>(t, "/api/v1/directory/remote", { cardUrl: guarded.cardUrl })).status).toBe(200);

		const found = await t.json<Page>("/api/v1/directory?q=guarded");
		expect(found.items).toEqual([expect.objectContaining({ id, name: "Guarded Peer", state: "remote", skills: ["echo"], remote: { cardUrl: guarded.cardUrl, url: `${guarded.baseUrl}/rpc` } })]);
		expect((await t.json<Page>("/api/v1/directory?skill=echo")).items.map(e => e.id)).toContain(id);
		expect((await t.json<Page>("/api/v1/directory?status=remote")).items.map(e => e.id)).toEqual([id]);
		const all = (await t.json<Page>("/api/v1/directory")).items.map(e => e.id);
		expect(all).toEqual(expect.arrayContaining([id, "local-echo"]));
		expect(await t.json<DirectoryEntry>(`/api/v1/directory/${encodeURIComponent(id)}`)).toMatchObject({ id, state: "remote" });
	});

	it("lets an agent reach a directory entry by its id, with the entry's stored token, which stays out of the audit log and the database in clear", async () => {
		const id = `guarded-peer@${new URL(guarded.baseUrl).host}`;
		const { status, body } = await task<{ relayed: string }>(t, "asker", { task: { type: "ask", agent: id, message: "with the stored token" } });
		expect(status).toBe(200);
		expect(body.result.relayed).toBe("ECHO: WITH THE STORED TOKEN");
		expect(guarded.authorizations).toContain("Bearer peer-secret");
		await t.node.audit.flush();
		const audit = await t.json<{ items: unknown[] }>("/api/v1/audit?limit=500");
		expect(audit.items.length).toBeGreaterThan(0);
		expect(JSON.stringify(audit)).not.toContain("peer-secret");
		const { rows } = await t.node.kernel.db.query<{ token_sealed: string }>("SELECT token_sealed FROM remote_agents");
		expect(rows[0].token_sealed).not.toContain("peer-secret");
	});

	it("refreshes and removes a remote agent", async () => {
		const added = await post<RemoteAgent>(t, "/api/v1/directory/remote", { cardUrl: peer.cardUrl });
		expect(added.status).toBe(201);
		const refreshed = await post<RemoteAgent>(t, `/api/v1/directory/remote/${encodeURIComponent(added.body.id)}/refresh`, {});
		expect(refreshed.status).toBe(200);
		expect(refreshed.body).toMatchObject({ id: added.body.id, name: "Echo Peer", hasToken: false });
		const removed = await t.request(`/api/v1/directory/remote/${encodeURIComponent(added.body.id)}`, { method: "DELETE" });
		expect(removed.status).toBe(200);
		expect((await t.json<Page>("/api/v1/directory?q=echo%20peer")).total).toBe(0);
		const again = await t.request(`/api/v1/directory/remote/${encodeURIComponent(added.body.id)}`, { method: "DELETE" });
		expect(again.status).toBe(404);
		expect((await post(t, "/api/v1/directory/remote/nobody@nowhere/refresh", {})).status).toBe(404);
	});

	it("answers bad input, a refused or unreachable URL and a card that is not one with an error naming what is wrong", async () => {
		const missing = await post<ErrorBody>(t, "/api/v1/directory/remote", {});
		expect(missing.status).toBe(422);
		expect(missing.body.error.message).toContain("cardUrl");
		const metadata = await post<ErrorBody>(t, "/api/v1/directory/remote", { cardUrl: "http://169.254.169.254/.well-known/agent-card.json" });
		expect(metadata.status).toBe(422);
		expect(metadata.body.error.message).toContain("cardUrl refused: 169.254.169.254:80 is not on the allowed domains");
		const offList = await post<ErrorBody>(t, "/api/v1/directory/remote", { cardUrl: "http://example.com/.well-known/agent-card.json" });
		expect(offList.status).toBe(422);
		expect(offList.body.error.message).toContain("not on the allowed domains");
		const notFound = await post<ErrorBody>(t, "/api/v1/directory/remote", { cardUrl: `http://${oddHost}/missing.json` });
		expect(notFound.status).toBe(422);
		expect(notFound.body.error).toMatchObject({ type: "A2A_CARD_INVALID", message: expect.stringContaining("404") });
		const nameless = await post<ErrorBody>(t, "/api/v1/directory/remote", { cardUrl: `http://${oddHost}/nameless.json` });
		expect(nameless.status).toBe(422);
		expect(nameless.body.error).toMatchObject({ type: "A2A_CARD_INVALID" });
		const down = await post<ErrorBody>(t, "/api/v1/directory/remote", { cardUrl: downCardUrl });
		expect(down.status).toBe(503);
		expect(down.body.error).toMatchObject({ type: "A2A_REMOTE_UNREACHABLE", message: expect.stringContaining(new URL(downCardUrl).origin) });
	});

	it("needs the directory's write scope to add a remote agent", async () => {
		const { body } = await post<{ token: string }>(t, "/api/v1/tokens", { name: "reader", scopes: ["society:read"] });
		const res = await t.request("/api/v1/directory/remote", {
			method: "POST",
			auth: false,
			headers: { authorization: `Bearer ${body.token}`, "content-type": "application/json" },
			body: JSON.stringify({ cardUrl: peer.cardUrl })
		});
		expect(res.status).toBe(403);
	});
});
