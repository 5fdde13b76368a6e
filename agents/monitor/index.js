// The monitor: on a schedule (the scheduler sends it {type: "check"}), it looks at the
// node, the cluster, the model providers and the configured URLs (ctx.node.health), keeps
// what it saw in its state and its episodic memory, and raises an alert (ctx.node.alert:
// the monitor.alert event, the audit log and the ALERT_WEBHOOK_URL webhook) once when
// something turns unhealthy and once when it recovers. No storms: a check must fail
// `failuresBeforeAlert` times in a row before it alerts, and while it stays down it is
// reminded of only after `reminderAfterMs`, then twice that, four times that, …

const DEFAULTS = { failuresBeforeAlert: 2, reminderAfterMs: 3_600_000 };

module.exports = {
	async onTask(task, ctx) {
		if (task.type === "status") return { checks: (await ctx.state.get("checks")) ?? {}, lastCheckAt: (await ctx.state.get("lastCheckAt")) ?? null };
		if (task.type === "chat") return watching(ctx);
		if (task.type !== "check") throw new Error(`monitor does not know task type "${task.type}"`);
		const options = { ...DEFAULTS, ...pick(task, Object.keys(DEFAULTS)) };
		const now = Date.now();

		const report = await ctx.node.health();
		const seen = observe(report);
		const checks = (await ctx.state.get("checks")) ?? {};
		const alerts = [];
		for (const o of seen) {
			const before = checks[o.key] ?? { healthy: true, failures: 0, alerted: false };
			const { after, alert } = judge(o, before, now, options);
			checks[o.key] = after;
			if (alert) alerts.push(alert);
		}
		// A check that no longer appears (a node that left for good) is forgotten, unless it is still alerted.
		for (const key of Object.keys(checks)) if (!seen.some(o => o.key === key) && !checks[key].alerted) delete checks[key];

		const raised = [];
		for (const alert of alerts) raised.push(await ctx.node.alert(alert));
		const unhealthy = seen.filter(o => !o.healthy);
		const first = (await ctx.state.get("lastCheckAt")) === undefined;
		await ctx.state.set("checks", checks);
		await ctx.state.set("lastCheckAt", new Date(now).toISOString());

		// Episodic memory: what changed, not every quiet minute.
		if (first || alerts.length) {
			await ctx.memory.store({
				type: "episodic",
				importance: alerts.length ? 0.8 : 0.3,
				content: `Check at ${new Date(now).toISOString()}: ${seen.length - unhealthy.length} of ${seen.length} healthy.` +
					(unhealthy.length ? ` Unhealthy: ${unhealthy.map(o => `${o.key} (${o.detail})`).join("; ")}.` : "") +
					(alerts.length ? ` Alerts: ${alerts.map(a => `${a.check} ${a.state}`).join(", ")}.` : ""),
				metadata: { alerts: alerts.map(a => ({ check: a.check, state: a.state })), unhealthy: unhealthy.map(o => o.key) }
			});
		}
		return {
			at: new Date(now).toISOString(),
			healthy: seen.length - unhealthy.length,
			unhealthy: unhealthy.map(({ key, detail }) => ({ check: key, detail })),
			alerts: raised.map(a => ({ id: a.id, check: a.check, state: a.state, severity: a.severity, webhook: a.webhook }))
		};
	}
};

/**
 * What the monitor watches, in words, for a person chatting with it: each check as its last
 * check saw it; before the first check, as the node's health is now (nothing is recorded or
 * alerted then — that is the scheduled check's job).
 */
async function watching(ctx) {
	const lastCheckAt = (await ctx.state.get("lastCheckAt")) ?? null;
	const checks = lastCheckAt
		? Object.entries((await ctx.state.get("checks")) ?? {}).map(([key, c]) => ({ key, healthy: c.healthy, detail: c.healthy ? `healthy since ${c.since}` : `${c.detail} (down since ${c.since})` }))
		: observe(await ctx.node.health());
	const kinds = ["node", "cluster", "provider", "url"].map(kind => checks.filter(c => c.key.split(":")[0] === kind).length);
	const unhealthy = checks.filter(c => !c.healthy);
	const answer = [
		`I watch ${checks.length} check${checks.length === 1 ? "" : "s"}: the node, ${kinds[1]} cluster node${kinds[1] === 1 ? "" : "s"}, ${kinds[2]} model provider${kinds[2] === 1 ? "" : "s"} and ${kinds[3]} URL${kinds[3] === 1 ? "" : "s"} (MONITOR_AGENT_URLS).`,
		lastCheckAt ? `Last check at ${lastCheckAt}: ${checks.length - unhealthy.length} healthy, ${unhealthy.length} not.` : "I have not checked yet (my schedule sends me checks); this is the node's health now.",
		...checks.map(c => `- ${c.key}: ${c.detail}`)
	].join("\n");
	return { answer, lastCheckAt, checks: checks.map(({ key, healthy, detail }) => ({ check: key, healthy, detail })) };
}

/** The report as a flat list of checks, each healthy or not, with a line saying why. */
function observe(report) {
	const out = [{ key: "node", healthy: report.node.status === "ok", severity: report.node.status === "down" ? "critical" : "warning", detail: describeNode(report.node) }];
	for (const n of report.cluster?.nodes ?? []) out.push({ key: `cluster:${n.id}`, healthy: n.available, severity: "warning", detail: n.available ? "available" : "unreachable" });
	for (const p of report.providers) out.push({ key: `provider:${p.name}`, healthy: p.available, severity: "warning", detail: p.available ? "available" : "circuit open" });
	for (const u of report.urls) {
		out.push({ key: `url:${u.url}`, healthy: u.ok, severity: "critical", detail: u.ok ? `HTTP ${u.status} in ${u.ms} ms` : u.status ? `HTTP ${u.status}` : u.error });
	}
	return out;
}

function describeNode(node) {
	const bad = Object.entries(node.subsystems).filter(([, state]) => state !== "ready" && state !== "disabled");
	return bad.length ? `${node.status}: ${bad.map(([name, state]) => `${name} ${state}`).join(", ")}` : node.status;
}

/** One check's new record, and the alert it calls for, if any. */
function judge(o, before, now, { failuresBeforeAlert, reminderAfterMs }) {
	if (o.healthy) {
		const after = { healthy: true, failures: 0, alerted: false, since: before.healthy ? (before.since ?? new Date(now).toISOString()) : new Date(now).toISOString() };
		if (!before.alerted) return { after };
		return { after, alert: { check: o.key, state: "up", severity: "info", message: `${o.key} recovered (${o.detail}) after being down since ${before.since}`, details: { downSince: before.since } } };
	}
	const failures = before.failures + 1;
	const since = before.healthy ? new Date(now).toISOString() : before.since;
	const after = { ...before, healthy: false, failures, since, detail: o.detail };
	if (!before.alerted) {
		if (failures < failuresBeforeAlert) return { after };
		return { after: { ...after, alerted: true, lastAlertAt: now, reminders: 0 }, alert: { check: o.key, state: "down", severity: o.severity, message: `${o.key} is down: ${o.detail}`, details: { since, failures } } };
	}
	const wait = reminderAfterMs * 2 ** (before.reminders ?? 0);
	if (now - before.lastAlertAt < wait) return { after };
	const reminder = { check: o.key, state: "down", severity: o.severity, message: `${o.key} is still down (since ${since}): ${o.detail}`, details: { since, failures, reminder: true } };
	return { after: { ...after, lastAlertAt: now, reminders: (before.reminders ?? 0) + 1 }, alert: reminder };
}

function pick(task, keys) {
	return Object.fromEntries(keys.filter(k => typeof task[k] === "number").map(k => [k, task[k]]));
}

module.exports.judge = judge;
