import path from "node:path";
import type { Context } from "moleculer";
import type { ErrorBody } from "../../services/api.service";
import type { Job } from "../../lib/society/society-views";
import type { ForumPost } from "../../lib/society/society-views";
import type { DirectoryEntry } from "../../lib/society/society-views";
import { AgentOSHttpClient } from "../../sdk";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, post, spawnAgent, task } from "../support/agents";
import { runCli } from "../support/cli";
import { startTestNode, type TestNode } from "../support/test-node";

const citizen = (id: string, permissions: string[], extra: Record<string, unknown> = {}) => ({
	id,
	name: `Citizen ${id}`,
	entryPoint: path.join(FIXTURE_AGENTS, "citizen.js"),
	permissions,
	...extra
});

/** The jobs service's sweep, which the node runs on a timer. */
function hasExpiry(service: unknown): service is { expireOverdue(): Promise<number> } {
	return typeof service === "object" && service !== null && "expireOverdue" in service && typeof service.expireOverdue === "function";
}

describe("society: forums, jobs, reputation and the directory", () => {
	let t: TestNode;
	/** Runs a ctx.society method inside the agent's own code, through its actor. */
	const society = async <T>(agentId: string, method: string, ...args: unknown[]): Promise<T> => {
		const { status, body } = await task<T & { refused?: unknown }>(t, agentId, { task: { type: "society", method, args } });
		if (status !== 200 || body.result.refused) throw new Error(`${agentId} ${method}: ${status} ${JSON.stringify(body)}`);
		return body.result;
	};
	const refusal = async (agentId: string, method: string, ...args: unknown[]) => {
		const { body } = await task<{ refused: { type: string; code: number; message: string } }>(t, agentId, { task: { type: "society", method, args } });
		if (!body.result?.refused) throw new Error(`${agentId} ${method} was not refused: ${JSON.stringify(body)}`);
		return body.result.refused;
	};
	const as = (token: string, route: string, init: RequestInit = {}) =>
		fetch(`${t.url}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });

	beforeAll(async () => {
		t = await startTestNode(FAST_AGENT_ENV);
		await t.node.ready;
		await spawnAgent(t, citizen("alice", ["social.post"]));
		await spawnAgent(t, citizen("bob", ["social.post"], { taskTypes: { society: {}, translate: {} } }));
		await spawnAgent(t, citizen("mute", []));
	});
	afterAll(() => t.stop());

	it("runs a whole society scenario: a forum thread, a job from post to review, and reputation that moves", async () => {
		const forum = await post<{ id: string; name: string }>(t, "/api/v1/forums", { name: "agents-town", description: "Where agents meet" });
		expect(forum.status).toBe(201);

		const thread = await society<ForumPost>("alice", "forums.post", forum.body.id, { title: "Translators wanted", body: "Who speaks Basque?" });
		expect(thread).toMatchObject({ authorKind: "agent", authorId: "alice", title: "Translators wanted", threadId: null });
		const reply = await society<ForumPost>("bob", "forums.reply", thread.id, "I do.");
		expect(reply).toMatchObject({ threadId: thread.id, authorId: "bob" });
		expect((await post<ForumPost>(t, `/api/v1/posts/${thread.id}/votes`, { value: 1 })).body.score).toBe(1);
		const page = await t.json<{ items: ForumPost[]; total: number }>(`/api/v1/forums/${forum.body.id}/posts?search=basque`);
		expect(page).toMatchObject({ total: 1, items: [{ id: thread.id, replyCount: 1, score: 1 }] });
		const full = await t.json<{ replies: { items: ForumPost[] } }>(`/api/v1/posts/${thread.id}`);
		expect(full.replies.items.map(r => r.body)).toEqual(["I do."]);

		const job = await society<Job>("alice", "jobs.post", { title: "Translate a page", description: "Basque to English", skills: ["Translate"], budgetUsd: 2 });
		expect(job).toMatchObject({ state: "open", posterId: "alice", budgetUsd: 2, skills: ["translate"] });
		const application = await society<{ id: string }>("bob", "jobs.apply", job.id, "Done within the hour", 1.5);
		// Each view of a job says which moves its state allows, and who may make them.
		const movesOf = (j: Job) => j.allowedMoves.map(m => `${m.move} by ${m.by}`);
		expect(movesOf(await t.json<Job>(`/api/v1/jobs/${job.id}`))).toEqual(["award by poster", "cancel by poster"]);
		expect(movesOf((await t.json<{ rows: Job[] }>(`/api/v1/jobs?posterId=alice&state=open`)).rows.find(j => j.id === job.id)!)).toEqual(["award by poster", "cancel by poster"]);
		const awarded = await society<Job>("alice", "jobs.award", job.id, application.id);
		expect(awarded.state).toBe("awarded");
		expect(movesOf(awarded)).toEqual(["deliver by awardee", "cancel by poster"]);
		expect((await society<Job>("bob", "jobs.deliver", job.id, { text: "Hello" }, "as asked")).state).toBe("delivered");
		expect(movesOf(await t.json<Job>(`/api/v1/jobs/${job.id}`))).toEqual(["accept by poster", "dispute by poster"]);
		expect((await society<Job>("alice", "jobs.accept", job.id)).state).toBe("completed");
		await society("alice", "jobs.review", job.id, 5, "Fast and right");
		await society("bob", "jobs.review", job.id, 4);

		// bob: +5 (delivery accepted) + (5 − 3) × 2 (review) = 9; alice: 0.5 (one up-vote) + (4 − 3) × 2 = 2.5.
		const bob = await t.json<{ reputation: number; history: { kind: string; delta: number }[] }>("/api/v1/reputation/bob");
		expect(bob.reputation).toBe(9);
		expect(bob.history.map(h => [h.kind, h.delta])).toEqual([
			["review", 4],
			["delivery", 5]
		]);
		expect((await t.json<{ reputation: number }>("/api/v1/reputation/alice")).reputation).toBe(2.5);
		expect((await t.json<{ items: { agentId: string }[] }>("/api/v1/reputation")).items.map(i => i.agentId)).toEqual(["bob", "alice"]);

		const directory = await t.json<{ items: DirectoryEntry[]; total: number }>("/api/v1/directory?skill=translate");
		expect(directory).toMatchObject({ total: 1, items: [{ id: "bob", reputation: 9, state: "running", skills: ["society", "translate"] }] });
		expect((await t.json<{ total: number }>("/api/v1/directory?q=citizen&limit=2")).total).toBe(3);
		expect((await t.json<{ items: DirectoryEntry[] }>("/api/v1/directory?q=citizen&limit=1&offset=0")).items[0].id).toBe("bob");
		// An agent edits its own profile; the directory shows it.
		await society("bob", "directory", {});
		const put = await t.request("/api/v1/directory/alice", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ skills: ["research"], bio: "curious" }) });
		expect(put.status).toBe(200);
		expect((await t.json<{ items: DirectoryEntry[] }>("/api/v1/directory?skill=research")).items.map(i => i.id)).toEqual(["alice"]);
	});

	it("refuses every illegal job move with a 409 that names the state, and moves by the wrong party with a 403", async () => {
		const fresh = async () => (await post<Job>(t, "/api/v1/jobs", { title: "Summarise", description: "A report", budgetUsd: 0 })).body;
		const move = (id: string, m: string, body: unknown = {}) => post<ErrorBody & Job>(t, `/api/v1/jobs/${id}/${m}`, body);
		const expectRefused = async (id: string, m: string, state: string, body: unknown = {}) => {
			const r = await move(id, m, body);
			expect({ move: m, state, status: r.status, type: r.body.error?.type }).toEqual({ move: m, state, status: 409, type: "JOB_TRANSITION_REFUSED" });
			expect(r.body.error.message).toContain(`it is ${state}`);
		};
		// open: deliver, accept and dispute are refused.
		const open = await fresh();
		for (const m of ["deliver", "accept", "dispute"]) await expectRefused(open.id, m, "open", { result: 1, reason: "x" });
		// awarded: award, accept and dispute are refused; only the awardee delivers.
		const app = await society<{ id: string }>("bob", "jobs.apply", open.id, "me");
		expect((await move(open.id, "award", { applicationId: app.id })).body.state).toBe("awarded");
		for (const m of ["award", "accept", "dispute"]) await expectRefused(open.id, m, "awarded", { applicationId: app.id, reason: "x" });
		expect((await move(open.id, "deliver", { result: 1 })).status).toBe(403);
		expect((await refusal("alice", "jobs.deliver", open.id, "not mine")).type).toBe("NOT_ALLOWED");
		// delivered: award, deliver and cancel are refused; bob (the awardee) may not accept his own work.
		await society("bob", "jobs.deliver", open.id, "work");
		for (const m of ["award", "deliver", "cancel"]) await expectRefused(open.id, m, "delivered", { applicationId: app.id, result: 1 });
		expect((await refusal("bob", "jobs.accept", open.id)).type).toBe("NOT_ALLOWED");
		// disputed and completed are final; cancelled too.
		expect((await move(open.id, "dispute", { reason: "wrong language" })).body).toMatchObject({ state: "disputed", disputeReason: "wrong language" });
		for (const m of ["award", "deliver", "accept", "dispute", "cancel"]) await expectRefused(open.id, m, "disputed", { applicationId: app.id, result: 1, reason: "x" });
		const cancelled = await fresh();
		expect((await move(cancelled.id, "cancel")).body.state).toBe("cancelled");
		for (const m of ["award", "deliver", "accept", "dispute", "cancel"]) await expectRefused(cancelled.id, m, "cancelled", { applicationId: app.id, result: 1, reason: "x" });
		// No applications once it is not open, and no reviews before it is finished.
		expect((await refusal("bob", "jobs.apply", cancelled.id, "late")).type).toBe("JOB_NOT_OPEN");
		const unfinished = await fresh();
		expect((await move(unfinished.id, "reviews", { rating: 5 })).body.error.type).toBe("JOB_NOT_FINISHED");
		// Only the poster awards, and only the poster cancels.
		const other = await society<{ id: string }>("bob", "jobs.apply", unfinished.id, "pick me");
		expect((await refusal("bob", "jobs.award", unfinished.id, other.id)).type).toBe("NOT_ALLOWED");
		expect((await refusal("bob", "jobs.cancel", unfinished.id)).type).toBe("NOT_ALLOWED");
		expect((await refusal("bob", "jobs.apply", unfinished.id, "twice")).type).toBe("ALREADY_APPLIED");
	});

	it("answers bad input with a 4xx naming the field", async () => {
		const noTitle = await post<ErrorBody>(t, "/api/v1/jobs", { description: "x", budgetUsd: 1 });
		expect(noTitle.status).toBe(422);
		expect(noTitle.body.error.message).toContain("title");
		const past = await post<ErrorBody>(t, "/api/v1/jobs", { title: "Late job", description: "x", budgetUsd: 1, deadline: "2001-01-01T00:00:00Z" });
		expect(past.status).toBe(422);
		expect(past.body.error.message).toContain("deadline");
		const badName = await post<ErrorBody>(t, "/api/v1/forums", { name: "Not A Slug" });
		expect(badName.status).toBe(422);
		expect(badName.body.error.message).toContain("name");
		expect((await t.request("/api/v1/jobs/not-a-uuid")).status).toBe(404);
		expect((await t.request("/api/v1/jobs/00000000-0000-4000-8000-000000000000")).status).toBe(404);
		const badQuery = await t.request("/api/v1/jobs?query=%7Bnope");
		expect(badQuery.status).toBe(422);
		const unknownField = await t.request(`/api/v1/jobs?query=${encodeURIComponent(JSON.stringify({ secret: 1 }))}`);
		expect(unknownField.status).toBe(422);
		expect(((await unknownField.json()) as ErrorBody).error.message).toContain("secret");
		const list = await t.json<{ rows: Job[]; total: number; pageSize: number }>("/api/v1/jobs?state=cancelled&pageSize=1");
		expect(list).toMatchObject({ pageSize: 1, rows: [{ state: "cancelled" }] });
	});

	it("checks permissions: an agent needs social.post, a token its scope, moderation a moderator", async () => {
		const forums = await t.json<{ rows: { id: string }[] }>("/api/v1/forums");
		const forumId = forums.rows[0].id;
		const denied = await refusal("mute", "forums.post", forumId, { title: "hi", body: "there" });
		expect(denied).toMatchObject({ type: "PERMISSION_DENIED", message: expect.stringContaining("social.post") });
		const thread = await society<ForumPost>("alice", "forums.post", forumId, { title: "Pin me", body: "please" });
		// Pinning is moderation: not for alice (no social.moderate), and not for a society:write token.
		expect(await refusal("alice", "forums.vote", thread.id, 1)).toMatchObject({ type: "NOT_ALLOWED", code: 403 }); // not on one's own post
		const pin = t.node.broker.call("forums.pin", { id: thread.id }, { meta: { caller: { kind: "agent", id: "alice" } } });
		await expect(pin).rejects.toMatchObject({ type: "PERMISSION_DENIED" });
		const token = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "member", scopes: ["society:read", "society:write"] })).body.token;
		expect((await as(token, `/api/v1/posts/${thread.id}/pin`, { method: "POST", body: "{}" })).status).toBe(403);
		expect((await as(token, "/api/v1/jobs", { method: "POST", body: JSON.stringify({ title: "From a token", description: "x", budgetUsd: 0 }) })).status).toBe(201);
		const reader = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "reader", scopes: ["society:read"] })).body.token;
		expect((await as(reader, "/api/v1/jobs")).status).toBe(200);
		const refused = await as(reader, "/api/v1/jobs", { method: "POST", body: JSON.stringify({ title: "Nope", description: "x", budgetUsd: 0 }) });
		expect(((await refused.json()) as ErrorBody).error).toMatchObject({ type: "FORBIDDEN_SCOPE", data: { scope: "society:write" } });
		// The admin moderates: pins and locks; a locked thread takes no replies.
		expect((await post<ForumPost>(t, `/api/v1/posts/${thread.id}/pin`, {})).body.pinned).toBe(true);
		await post(t, `/api/v1/posts/${thread.id}/lock`, {});
		expect((await refusal("bob", "forums.reply", thread.id, "too late")).type).toBe("THREAD_LOCKED");
		expect((await t.json<{ items: ForumPost[] }>(`/api/v1/forums/${forumId}/posts`)).items[0].id).toBe(thread.id);
		// Reputation adjustments are for moderators, with a reason, and audited.
		expect((await as(token, "/api/v1/reputation/bob/adjustments", { method: "POST", body: JSON.stringify({ delta: 100, reason: "because" }) })).status).toBe(403);
		const adjusted = await post<{ reputation: number }>(t, "/api/v1/reputation/bob/adjustments", { delta: -1.5, reason: "spam in agents-town" });
		expect(adjusted).toMatchObject({ status: 201, body: { reputation: 7.5 } });
		await t.node.audit.flush();
		const audit = await t.json<{ items: { action: string; target: string }[] }>("/api/v1/audit?action=reputation.adjust");
		expect(audit.items[0]).toMatchObject({ action: "reputation.adjust", target: "bob" });
	});

	it("settles disputed jobs by a moderator: award, refund or split, with exact reputation, released holds and audit entries", async () => {
		await spawnAgent(t, citizen("carol", ["social.post"]));
		await spawnAgent(t, citizen("dave", ["social.post"]));
		await spawnAgent(t, citizen("judge", ["social.moderate"]));
		/** carol posts, dave delivers, carol disputes. */
		const disputed = async (title: string): Promise<Job> => {
			const job = await society<Job>("carol", "jobs.post", { title, description: "x", budgetUsd: 2 });
			const app = await society<{ id: string }>("dave", "jobs.apply", job.id, "me");
			await society("carol", "jobs.award", job.id, app.id);
			await society("dave", "jobs.deliver", job.id, "the work");
			return society<Job>("carol", "jobs.dispute", job.id, "not what I asked");
		};
		const [awarded, refunded, split, splitByCli] = [await disputed("Award me"), await disputed("Refund me"), await disputed("Split me"), await disputed("Split by the CLI")];

		// A moderator agent settles through ctx.society; people through REST, the SDK and the CLI.
		const award = await society<Job>("judge", "jobs.settle", awarded.id, "award", "the delivery matches the brief");
		expect(award).toMatchObject({ state: "settled", settlement: { outcome: "award", workerShare: 100, workerUsd: 2, posterUsd: 0, settledBy: "judge", reputation: { worker: 5, poster: -2 } } });
		const refund = await post<Job>(t, `/api/v1/jobs/${refunded.id}/settle`, { outcome: "refund", reason: "nothing was delivered" });
		expect(refund).toMatchObject({ status: 200, body: { state: "settled", settlement: { outcome: "refund", workerShare: 0, workerUsd: 0, posterUsd: 2, settledBy: "admin" } } });
		const client = new AgentOSHttpClient({ url: t.url, token: t.token });
		expect(await client.society.jobs.settle(split.id, { outcome: "split", workerShare: 70, reason: "most of it was done" })).toMatchObject({
			state: "settled",
			settlement: { outcome: "split", workerShare: 70, workerUsd: 1.4, posterUsd: 0.6, reputation: { worker: 2, poster: -1.4 } }
		});
		const cli = await runCli(["jobs", "settle", splitByCli.id, "--outcome", "split", "--worker-share", "50", "--reason", "half of it", "--json"], { AGENTOS_URL: t.url, AGENTOS_TOKEN: t.token });
		expect(cli.code).toBe(0);
		expect(JSON.parse(cli.stdout)).toMatchObject({ state: "settled", settlement: { workerShare: 50, workerUsd: 1, posterUsd: 1 } });

		// dave: +5 (award) − 5 (refund) + 5 × (2 × 0.7 − 1) = 2 (split 70 %) + 0 (split 50 %) = 2;
		// carol: −2 × 1 (award) + 0 (refund) − 2 × 0.7 (split 70 %) − 2 × 0.5 (split 50 %) = −4.4.
		const dave = await t.json<{ reputation: number; history: { kind: string; delta: number; source: string }[] }>("/api/v1/reputation/dave");
		expect(dave.reputation).toBe(2);
		expect(dave.history.filter(h => h.kind === "settlement").map(h => [h.source, h.delta])).toEqual([
			[split.id, 2],
			[refunded.id, -5],
			[awarded.id, 5]
		]);
		const carol = await t.json<{ reputation: number; history: { kind: string; delta: number }[] }>("/api/v1/reputation/carol");
		expect(carol.reputation).toBe(-4.4);
		expect(carol.history.map(h => [h.kind, h.delta])).toEqual([
			["settlement", -1],
			["settlement", -1.4],
			["settlement", -2]
		]);
		// Each job's budget hold is released, as settled.
		const holds = await t.node.kernel.db.query<{ release_reason: string }>("SELECT release_reason FROM job_budget_holds WHERE job_id = ANY($1)", [[awarded.id, refunded.id, split.id, splitByCli.id]]);
		expect(holds.rows.map(r => r.release_reason)).toEqual(["settled", "settled", "settled", "settled"]);

		// Every settlement is audited, with who settled which job.
		await t.node.audit.flush();
		const audit = await t.json<{ items: { action: string; target: string; outcome: string; actor: { kind: string; id: string } }[] }>("/api/v1/audit?action=jobs.settle");
		expect(audit.items.map(i => [i.actor.id, i.target, i.outcome]).sort()).toEqual(
			[
				["judge", awarded.id, "succeeded"],
				["admin", refunded.id, "succeeded"],
				["admin", split.id, "succeeded"],
				["admin", splitByCli.id, "succeeded"]
			].sort()
		);
	});

	it("refuses illegal settlements: 409 naming the state, 403 for whoever is not a moderator, 422 for a bad share", async () => {
		const job = await society<Job>("carol", "jobs.post", { title: "Not disputed yet", description: "x", budgetUsd: 0 });
		const app = await society<{ id: string }>("dave", "jobs.apply", job.id, "me");
		await society("carol", "jobs.award", job.id, app.id);
		await society("dave", "jobs.deliver", job.id, "the work");
		const early = await post<ErrorBody>(t, `/api/v1/jobs/${job.id}/settle`, { outcome: "award", reason: "too early" });
		expect(early).toMatchObject({ status: 409, body: { error: { type: "JOB_TRANSITION_REFUSED", data: { state: "delivered" } } } });
		expect(early.body.error.message).toContain("it is delivered");

		await society("carol", "jobs.dispute", job.id, "late");
		// Not the parties (no social.moderate), not a member token (no governance scope).
		expect(await refusal("carol", "jobs.settle", job.id, "refund", "I want my money back")).toMatchObject({ type: "PERMISSION_DENIED", code: 403 });
		expect(await refusal("dave", "jobs.settle", job.id, "award", "pay me")).toMatchObject({ type: "PERMISSION_DENIED", code: 403 });
		const member = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "member", scopes: ["society:read", "society:write"] })).body.token;
		const byMember = await as(member, `/api/v1/jobs/${job.id}/settle`, { method: "POST", body: JSON.stringify({ outcome: "award", reason: "I say so" }) });
		expect(byMember.status).toBe(403);
		expect(((await byMember.json()) as ErrorBody).error).toMatchObject({ type: "FORBIDDEN_SCOPE", data: { scope: "governance" } });

		const noShare = await post<ErrorBody>(t, `/api/v1/jobs/${job.id}/settle`, { outcome: "split", reason: "half" });
		expect(noShare).toMatchObject({ status: 422, body: { error: { data: [{ field: "workerShare" }] } } });
		expect((await post<ErrorBody>(t, `/api/v1/jobs/${job.id}/settle`, { outcome: "keep", reason: "x" })).status).toBe(422);

		expect((await post<Job>(t, `/api/v1/jobs/${job.id}/settle`, { outcome: "refund", reason: "it was late" })).body.state).toBe("settled");
		const again = await post<ErrorBody>(t, `/api/v1/jobs/${job.id}/settle`, { outcome: "award", reason: "changed my mind" });
		expect(again).toMatchObject({ status: 409, body: { error: { type: "JOB_TRANSITION_REFUSED", data: { state: "settled" } } } });
		expect(again.body.error.message).toContain("it is settled");
		// The first decision stands.
		expect((await t.json<Job>(`/api/v1/jobs/${job.id}`)).settlement).toMatchObject({ outcome: "refund" });
	});

	it("holds a job's budget against the poster's monthly USD budget until the job ends", async () => {
		const budget = await t.request("/api/v1/llm/budgets/alice", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ monthly: { usd: 5 } }) });
		expect(budget.status).toBe(200);
		// alice's first job (2 USD) completed and released its hold: 5 USD are free.
		const big = await society<Job>("alice", "jobs.post", { title: "Big job", description: "x", budgetUsd: 4 });
		const over = await refusal("alice", "jobs.post", { title: "One too many", description: "x", budgetUsd: 2 });
		expect(over).toMatchObject({ type: "BUDGET_EXCEEDED", message: expect.stringContaining("1.00 USD") });
		await society("alice", "jobs.cancel", big.id);
		expect((await society<Job>("alice", "jobs.post", { title: "Fits now", description: "x", budgetUsd: 2 })).state).toBe("open");
	});

	it("expires open jobs past their deadline, releasing their budget hold and telling subscribers", async () => {
		const job = await society<Job>("alice", "jobs.post", { title: "Due soon", description: "x", budgetUsd: 1, deadline: new Date(Date.now() + 60_000).toISOString() });
		await t.node.kernel.db.query("UPDATE jobs SET deadline = now() - interval '1 second' WHERE id = $1", [job.id]);
		const changes: { change: string; move?: string; entity: Job }[] = [];
		const listener = t.node.broker.createService({ name: "expiry-listener", events: { "jobs.changed": { handler: (ctx: Context<{ change: string; move?: string; entity: Job }>) => void changes.push(ctx.params) } } });
		try {
			// The sweep runs every 30 s on every node; it is run here at once, as the node runs it.
			const jobs: unknown = t.node.broker.getLocalService("jobs");
			if (!hasExpiry(jobs)) throw new Error("the jobs service has no expiry sweep");
			expect(await jobs.expireOverdue()).toBe(1);
			expect(await jobs.expireOverdue()).toBe(0);
			expect((await t.json<Job>(`/api/v1/jobs/${job.id}`)).state).toBe("expired");
			const holds = await t.node.kernel.db.query<{ release_reason: string }>("SELECT release_reason FROM job_budget_holds WHERE job_id = $1", [job.id]);
			expect(holds.rows).toEqual([{ release_reason: "expired" }]);
			await new Promise(resolve => setTimeout(resolve, 200));
			expect(changes).toContainEqual(expect.objectContaining({ change: "updated", move: "expire", entity: expect.objectContaining({ id: job.id, state: "expired" }) }));
		} finally {
			await t.node.broker.destroyService(listener);
		}
	});

	it("rate-limits an agent's posts", async () => {
		const limited = await startTestNode({ ...FAST_AGENT_ENV, SOCIAL_POST_RATE_PER_MINUTE: "2" });
		try {
			await limited.node.ready;
			const { body: forum } = await post<{ id: string }>(limited, "/api/v1/forums", { name: "quiet" });
			await limited.node.kernel.db.query("INSERT INTO agent_grants (agent_id, capability, granted_by) VALUES ('chatty', 'social.post', 'test')");
			const meta = { meta: { caller: { kind: "agent", id: "chatty" } } };
			for (let i = 0; i < 2; i++) await limited.node.broker.call("forums.post", { id: forum.id, title: `t${i}`, body: "b" }, meta);
			await expect(limited.node.broker.call("forums.post", { id: forum.id, title: "t3", body: "b" }, meta)).rejects.toMatchObject({ code: 429, type: "POST_RATE_LIMITED" });
		} finally {
			await limited.stop();
		}
	});

	it("is reachable through the SDK and the CLI", async () => {
		const client = new AgentOSHttpClient({ url: t.url, token: t.token });
		const job = await client.society.jobs.post({ title: "From the SDK", description: "x", budgetUsd: 0, skills: ["sdk"] });
		expect((await client.society.jobs.list({ skills: "sdk" })).rows.map(j => j.id)).toEqual([job.id]);
		await expect(client.society.jobs.accept(job.id)).rejects.toMatchObject({ status: 409, type: "JOB_TRANSITION_REFUSED" });
		const env = { AGENTOS_URL: t.url, AGENTOS_TOKEN: t.token };
		const listed = await runCli(["jobs", "list", "--state", "open"], env);
		expect(listed.code).toBe(0);
		expect(listed.stdout).toMatch(/^ID\s+STATE\s+TITLE/);
		expect(listed.stdout).toContain("From the SDK");
		const cancelled = await runCli(["jobs", "cancel", job.id, "--json"], env);
		expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: job.id, state: "cancelled" });
		const bad = await runCli(["policies", "check", "--source", "when tool.invoked then explode"], env);
		expect(bad).toMatchObject({ code: 3, stderr: expect.stringContaining("error POLICY_SYNTAX: The policy does not parse: line 1, column 24") });
	});
});
