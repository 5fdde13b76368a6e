// node --test {{dir}}/test.js — the agent's logic with a stand-in ctx, no node needed.
const assert = require("node:assert/strict");
const { test } = require("node:test");
const agent = require("./index");

function fakeContext() {
	const state = new Map();
	return {
		agentId: "{{id}}",
		state: {
			get: async key => state.get(key),
			set: async (key, value) => void state.set(key, value),
			delete: async key => void state.delete(key),
			list: async () => [...state.keys()]
		},
		log: { debug() {}, info() {}, warn() {}, error() {} }
	};
}

test("adds items and lists them", async () => {
	const ctx = fakeContext();
	await agent.onStart(ctx);
	assert.deepEqual(await agent.onTask({ type: "add", item: "milk" }, ctx), { added: "milk", count: 1 });
	await agent.onTask({ type: "add", item: "eggs" }, ctx);
	assert.deepEqual(await agent.onTask({ type: "list" }, ctx), { items: ["milk", "eggs"] });
});

test("refuses a task type it does not know", async () => {
	await assert.rejects(agent.onTask({ type: "fly" }, fakeContext()), /does not know task type "fly"/);
});
