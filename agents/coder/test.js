// node --test agents/coder/test.js — the coder's rules, with a fake ctx.
const assert = require("node:assert/strict");
const { test } = require("node:test");
const { createFakeContext } = require("../testing/fake-context");
const coder = require("./index");

const shell = ({ command, args }) => ({ command, args, exitCode: 0, signal: null, stdout: "On branch main\n", stderr: "", truncated: { stdout: false, stderr: false }, durationMs: 3 });

test("runs a command on its list through shell_exec, with the output", async () => {
	const ctx = createFakeContext({ tools: { "builtin:shell_exec": shell } });
	const result = await coder.onTask({ type: "run_command", command: "git", args: ["status"] }, ctx);
	assert.equal(result.ok, true);
	assert.equal(result.stdout, "On branch main\n");
});

test("refuses a command that is not on its list, without asking the node", async () => {
	const ctx = createFakeContext({ tools: { "builtin:shell_exec": shell } });
	await assert.rejects(coder.onTask({ type: "run_command", command: "git", args: ["push", "--force"] }, ctx), /coder does not run "git push --force"/);
	assert.equal(ctx.calls.length, 0);
});

test("proposes a patch as a unified diff and never writes it", async () => {
	const diff = "--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n";
	const ctx = createFakeContext({
		tools: { "builtin:file_read": ({ path }) => ({ path, content: "a\n" }) },
		chat: () => ({ message: { content: "```diff\n" + diff + "```" }, provider: "p", model: "m" })
	});
	const result = await coder.onTask({ type: "propose_patch", instruction: "a → b", files: ["x.js"] }, ctx);
	assert.equal(result.patch, diff);
	assert.equal(result.applied, false);
	assert.ok(ctx.calls.every(c => c.method !== "tools.invoke" || c.args[0] !== "builtin:file_write"));
});

test("in a chat, explains the files the message names, read through file_read", async () => {
	const ctx = createFakeContext({
		tools: { "builtin:file_read": ({ path }) => ({ path, content: "export const cents = x => Math.round(x * 100);\n" }) },
		chat: ({ messages }) => ({ message: { content: `It rounds to cents. (saw ${messages[1].content.includes("Math.round") ? "the file" : "nothing"})` }, provider: "p", model: "m" })
	});
	const result = await coder.onTask({ type: "chat", message: "What does src/cart.ts do?" }, ctx);
	assert.deepEqual(result, { answer: "It rounds to cents. (saw the file)", model: "p/m", files: ["src/cart.ts"] });
	assert.deepEqual(ctx.calls.find(c => c.method === "tools.invoke").args, ["builtin:file_read", { path: "src/cart.ts", maxBytes: 65536 }]);
});

test("in a chat, answers a question that names no file, and reports a file it cannot read", async () => {
	const ctx = createFakeContext({ chat: ({ messages }) => ({ message: { content: `answer to: ${messages[1].content}` }, provider: "offline", model: "offline-extractive" }) });
	const plain = await coder.onTask({ type: "chat", message: "How do I write a unit test?" }, ctx);
	assert.equal(plain.answer, "answer to: How do I write a unit test?");
	assert.deepEqual(plain.files, []);
	const missing = await coder.onTask({ type: "chat", message: "Explain lib/none.js please" }, ctx);
	assert.deepEqual(missing.unread, [{ path: "lib/none.js", error: "no tool builtin:file_read in this test" }]);
	assert.equal(missing.answer, "answer to: Explain lib/none.js please");
});
