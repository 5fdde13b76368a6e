// node --test agents/monitor/test.js — the monitor's alerting rules, with a fake ctx.
const assert = require("node:assert/strict");
const { test } = require("node:test");
const { createFakeContext } = require("../testing/fake-context");
const monitor = require("./index");

function nodeWith(urlOk) {
	return () => ({
		node: { id: "n1", status: "ok", subsystems: { database: "ready" } },
		cluster: { leader: "n1", nodes: [{ id: "n1", available: true }] },
		providers: [{ name: "offline", type: "offline", available: true }],
		urls: [{ url: "https://shop.example/", ok: urlOk(), status: urlOk() ? 200 : 503, ms: 5 }]
	});
}

test("one alert when a URL goes down, none while it stays down, one when it recovers", async () => {
	let up = true;
	const ctx = createFakeContext({ health: nodeWith(() => up) });
	const check = async () => (await monitor.onTask({ type: "check", failuresBeforeAlert: 2 }, ctx)).alerts.map(a => a.state);
	assert.deepEqual(await check(), []);
	up = false;
	assert.deepEqual(await check(), []); // one failure is a blip
	assert.deepEqual(await check(), ["down"]);
	assert.deepEqual(await check(), []);
	up = true;
	assert.deepEqual(await check(), ["up"]);
	assert.equal(ctx.memories.filter(m => m.type === "episodic").length, 3); // the first check, and each alert
});

test("reminds of a check that stays down only after a growing wait", () => {
	const o = { key: "url:x", healthy: false, severity: "critical", detail: "HTTP 503" };
	const down = { healthy: false, failures: 5, alerted: true, lastAlertAt: 0, reminders: 0, since: "then" };
	assert.equal(monitor.judge(o, down, 500, { failuresBeforeAlert: 1, reminderAfterMs: 1000 }).alert, undefined);
	const first = monitor.judge(o, down, 1000, { failuresBeforeAlert: 1, reminderAfterMs: 1000 });
	assert.match(first.alert.message, /still down/);
	assert.equal(monitor.judge(o, first.after, 2500, { failuresBeforeAlert: 1, reminderAfterMs: 1000 }).alert, undefined); // now 2000 ms
});

test("in a chat, reports what it watches: the node's health now before its first check, without recording or alerting", async () => {
	const ctx = createFakeContext({ health: nodeWith(() => false) });
	const { answer, lastCheckAt, checks } = await monitor.onTask({ type: "chat", message: "what do you watch?" }, ctx);
	assert.equal(lastCheckAt, null);
	assert.match(answer, /^I watch 4 checks: the node, 1 cluster node, 1 model provider and 1 URL/);
	assert.match(answer, /I have not checked yet/);
	assert.match(answer, /- url:https:\/\/shop\.example\/: HTTP 503/);
	assert.deepEqual(checks.map(c => c.check), ["node", "cluster:n1", "provider:offline", "url:https://shop.example/"]);
	assert.equal(ctx.calls.filter(c => c.method === "node.alert" || c.method === "memory.store").length, 0);
	assert.deepEqual(await ctx.state.list(), []);
});

test("in a chat after checks, reports what the last check saw, down checks with since when", async () => {
	const ctx = createFakeContext({ health: nodeWith(() => false) });
	await monitor.onTask({ type: "check", failuresBeforeAlert: 1 }, ctx);
	const { answer, lastCheckAt, checks } = await monitor.onTask({ type: "chat", message: "status?" }, ctx);
	assert.ok(lastCheckAt);
	assert.match(answer, new RegExp(`Last check at ${lastCheckAt}: 3 healthy, 1 not\\.`));
	assert.match(answer, /- url:https:\/\/shop\.example\/: HTTP 503 \(down since /);
	assert.deepEqual(checks.find(c => c.check === "node"), { check: "node", healthy: true, detail: `healthy since ${lastCheckAt}` });
});
