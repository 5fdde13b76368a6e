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
