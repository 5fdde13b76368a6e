import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { spawnAgent, task, untilState } from "../support/agents";
import { runCli } from "../support/cli";
import { startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

describe("agent-os agents new", () => {
	const dir = testTempDir("agentos-new-");
	let t: TestNode | undefined;
	afterAll(async () => {
		await t?.stop();
	});

	it("scaffolds an agent whose own test passes, and that spawns and answers a task", async () => {
		const made = await runCli(["agents", "new", "shopping-list", "--dir", dir, "--description", "Keeps a shopping list"]);
		expect(made.code).toBe(0);
		const folder = path.join(dir, "shopping-list");
		expect(fs.readdirSync(folder).sort()).toEqual(["README.md", "index.js", "manifest.json", "test.js"]);
		expect(made.stdout).toContain(`node --test ${folder}/test.js`);
		const manifest = JSON.parse(fs.readFileSync(path.join(folder, "manifest.json"), "utf8")) as Record<string, unknown>;
		expect(manifest).toMatchObject({ id: "shopping-list", name: "Shopping list", description: "Keeps a shopping list", entryPoint: path.join(folder, "index.js") });
		expect(fs.readFileSync(path.join(folder, "README.md"), "utf8")).toMatch(/^# Shopping list\n\nKeeps a shopping list\n/);

		// Its generated test, as the README says to run it.
		const tested = spawnSync(process.execPath, ["--test", path.join(folder, "test.js")], { encoding: "utf8", env: { PATH: process.env.PATH } });
		expect(tested.stdout).toMatch(/^# pass 2$/m);
		expect(tested.status).toBe(0);

		t = await startTestNode({ AGENT_CODE_PATHS: dir });
		await t.node.ready;
		await spawnAgent(t, manifest);
		await untilState(t, "shopping-list", "running");
		expect((await task(t, "shopping-list", { task: { type: "add", item: "milk" } })).body.result).toEqual({ added: "milk", count: 1 });
		expect((await task(t, "shopping-list", { task: { type: "list" } })).body.result).toEqual({ items: ["milk"] });
		// Its task schema came along: a task without an item is refused before the code runs.
		expect((await task(t, "shopping-list", { task: { type: "add" } })).status).toBe(422);
	});

	it("refuses a bad name and an existing folder, with the usage line", async () => {
		const bad = await runCli(["agents", "new", "Shopping List", "--dir", dir]);
		expect(bad.code).toBe(1);
		expect(bad.stderr).toContain("NAME must be 1 to 63 lower-case letters");
		expect(bad.stderr).toContain("Usage: agent-os agents new NAME");
		const again = await runCli(["agents", "new", "shopping-list", "--dir", dir]);
		expect(again.code).toBe(1);
		expect(again.stderr).toContain("already exists (--force writes over its files)");
	});
});
