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
