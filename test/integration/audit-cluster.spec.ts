import fs from "node:fs";
import path from "node:path";
import type { AuditCheckpoint, AuditVerifyResult } from "../../lib/security/audit-log";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

/** Two nodes over a real NATS server, writing one audit chain in one PostgreSQL database. */
describe("audit checkpoints in a cluster", () => {
	let nats: NatsServer;
	let pg: PostgresServer;
	let alpha: TestNode;
	let beta: TestNode;
	let env: Record<string, string>;

	beforeAll(async () => {
		[nats, pg] = await Promise.all([startNats(), startPostgres()]);
		env = { TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "audit_cluster"), CLUSTER_SECRET: "one secret for the whole cluster", AUDIT_CHECKPOINT_EVERY: "5" };
		alpha = await startTestNode({ ...env, NODE_ID: "alpha" });
		beta = await startTestNode({ ...env, NODE_ID: "beta", AUDIT_CHECKPOINT_INTERVAL_MS: "3600000" });
		await Promise.all([alpha.node.ready, beta.node.ready]);
		// A checkpoint goes to the nodes known when it is made.
		const knows = (t: TestNode, node: string) => t.node.broker.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === "audit" && s.nodeID === node);
		await eventually("each node to know the other's audit service", () => knows(alpha, "beta") && knows(beta, "alpha"), 20_000);
	}, 120_000);
	let gamma: TestNode | undefined;
	afterAll(async () => {
		await Promise.all([alpha?.stop(), beta?.stop(), gamma?.stop()]);
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	const keptBy = (t: TestNode): AuditCheckpoint[] => {
		const file = path.join(t.dataDir, "audit-checkpoints.json");
		return fs.existsSync(file) ? Object.values((JSON.parse(fs.readFileSync(file, "utf8")) as { chains: Record<string, AuditCheckpoint> }).chains) : [];
	};

	it("keeps the checkpoint one node makes on the other, which finds rows removed against it", async () => {
		for (let i = 0; i < 6; i++) {
			const res = await alpha.request("/api/v1/tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: `t${i}`, scopes: ["agents:read"] }) });
			expect(res.status).toBe(201);
		}
		await alpha.node.audit.flush();
		// Beta wrote none of this: it keeps what alpha sent, signed with the cluster's key.
		await eventually("beta to keep alpha's checkpoint", () => keptBy(beta).some(cp => cp.node === "alpha" && cp.seq >= 5), 15_000);
		const [cp] = keptBy(beta);
		const { rows } = await alpha.node.kernel.db.query<{ hash: string }>("SELECT hash FROM audit_log WHERE seq = $1", [cp.seq]);
		expect(cp).toMatchObject({ hash: rows[0].hash, node: "alpha", keyId: alpha.node.audit.keyId, sig: expect.stringMatching(/^[0-9a-f]{64}$/) });
		await eventually("alpha to have kept it too", () => keptBy(alpha).some(kept => kept.seq >= cp.seq));
		const head = { seq: cp.seq };

		expect(await beta.json<AuditVerifyResult>("/api/v1/audit/verify")).toMatchObject({ ok: true, checkpoint: { seq: head.seq, node: "alpha" } });
		await beta.node.kernel.db.query("DELETE FROM audit_log WHERE seq >= $1", [head.seq - 1]);
		expect(await beta.json<AuditVerifyResult>("/api/v1/audit/verify")).toMatchObject({ ok: false, firstBad: { check: "truncated", seq: head.seq } });
	});

	it("gives a node that joins later the newest checkpoint, without waiting for the next", async () => {
		const [cp] = keptBy(alpha);
		gamma = await startTestNode({ ...env, NODE_ID: "gamma" });
		await gamma.node.ready;
		await eventually("gamma to keep the cluster's checkpoint", () => keptBy(gamma!).some(kept => kept.seq === cp.seq && kept.sig === cp.sig), 20_000);
		// Rows were removed in the test before: gamma finds it too.
		expect(await gamma.json<AuditVerifyResult>("/api/v1/audit/verify")).toMatchObject({ ok: false, firstBad: { check: "truncated", seq: cp.seq } });
	});
});
