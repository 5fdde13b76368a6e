import { spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "../support/free-port";
import { cleanEnv, runCli } from "../support/cli";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { eventually, tempDataDir } from "../support/test-node";

/**
 * The built CLI with a local OpenAI-compatible server: `agent-os doctor` says which
 * provider capability works, and `agent-os memory reindex` re-embeds memories after the
 * embedding model changed.
 */

const root = path.resolve(__dirname, "../..");
const TOKEN = "local-models-admin-token-0123456789abcdef";

/** `status  check  detail` lines by check name. */
function doctorLines(stdout: string): Record<string, { status: string; detail: string }> {
	const out: Record<string, { status: string; detail: string }> = {};
	for (const line of stdout.trim().split("\n")) {
		const m = /^(ok|warn|fail)\s+(.+?)\s{2,}(.*)$/.exec(line);
		if (m) out[m[2]] = { status: m[1], detail: m[3] };
	}
	return out;
}

/** `agent-os start` as a user runs it, until /health answers; resolves to a stop function. */
async function startNode(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const node = spawn("node", ["dist/cli/agent-os.js", "start"], { cwd: root, env: cleanEnv({ ...env, PORT: String(port), GATEWAY_AUTH_TOKEN: TOKEN }), stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	node.stdout.on("data", d => (output += d));
	node.stderr.on("data", d => (output += d));
	const exited = new Promise(resolve => node.on("exit", resolve));
	await eventually("the node's /health to answer 200", async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 200, 90000, 200).catch(err => {
		node.kill("SIGKILL");
		throw new Error(`${(err as Error).message}; the node said:\n${output}`);
	});
	return {
		url,
		stop: async () => {
			node.kill("SIGTERM");
			await exited;
		}
	};
}

describe("agent-os with a local server that has chat but not the embedding model", () => {
	let chatOnly: OpenAIServer;
	beforeAll(async () => {
		chatOnly = await startOpenAIServer({ embeddingModels: [] });
	});
	afterAll(() => chatOnly.stop());

	it("doctor reports chat ok and embeddings failing with the server's error, a line per provider and capability", async () => {
		const dir = tempDataDir();
		const run = await runCli(["doctor"], { OPENAI_BASE_URL: chatOnly.url, LLM_EMBEDDING_MODEL: "nomic-embed-text" }, dir);
		expect(run.code).toBe(1);
		const lines = doctorLines(run.stdout);
		expect(lines["openai chat"]).toEqual({ status: "ok", detail: expect.stringMatching(/^gpt-4o-mini answers in \d+ ms$/) });
		expect(lines["openai embeddings"]).toMatchObject({ status: "fail", detail: expect.stringContaining('nomic-embed-text: HTTP 404: model "nomic-embed-text" not found, try pulling it first') });
		expect(lines["openai embeddings"].detail).toContain("set LLM_EMBEDDING_MODEL to a model this server has");
		expect(lines["offline embeddings"]).toMatchObject({ status: "ok" });
		expect(lines.models.detail).toContain("memories are embedded by openai/nomic-embed-text");

		// Unnamed, the embedding model is the offline one: nothing fails, and doctor says how to get better vectors.
		const unnamed = await runCli(["doctor"], { OPENAI_BASE_URL: chatOnly.url }, dir);
		expect(unnamed.code).toBe(0);
		const after = doctorLines(unnamed.stdout);
		expect(after["openai chat"].status).toBe("ok");
		expect(after["openai embeddings"]).toEqual({ status: "warn", detail: expect.stringContaining("memories are embedded by offline/offline-hash-384") });
		expect(after["offline embeddings"]).toEqual({ status: "ok", detail: expect.stringContaining("memories are embedded with it") });
	}, 60000);
});

describe("agent-os memory reindex after the embedding model changed", () => {
	let ollama: OpenAIServer;
	const dataDir = tempDataDir();
	beforeAll(async () => {
		ollama = await startOpenAIServer({ embeddingModels: ["nomic-embed-text"] });
	});
	afterAll(() => ollama.stop());

	it("re-embeds an agent's memories in steps, with progress and counts, and then has nothing to do", async () => {
		const before = await startNode({ AGENTOS_DATA_DIR: dataDir, OPENAI_BASE_URL: ollama.url, LLM_EMBEDDING_MODEL: "nomic-embed-text" });
		try {
			const res = await fetch(`${before.url}/api/v1/agents/cook/memories`, {
				method: "POST",
				headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
				body: JSON.stringify({ memories: ["Grandma's recipes are in the attic", "The spare key is in the blue drawer", "Lunch is at noon"].map(content => ({ content })) })
			});
			expect(res.status).toBe(200);
		} finally {
			await before.stop();
		}

		const after = await startNode({ AGENTOS_DATA_DIR: dataDir, OPENAI_BASE_URL: ollama.url });
		try {
			const env = { AGENTOS_URL: after.url, AGENTOS_TOKEN: TOKEN };
			const run = await runCli(["memory", "reindex", "--agent", "cook", "--batch", "2"], env);
			expect(run).toMatchObject({ code: 0, stdout: "done: 3 memories of agent cook re-embedded with offline-hash-384; all are of that model now\n" });
			expect(run.stderr.trim().split("\n")).toEqual([
				"re-embedded 2 memories of agent cook with offline-hash-384; 1 to go",
				"re-embedded 3 memories of agent cook with offline-hash-384; 0 to go"
			]);
			expect(await runCli(["memory", "reindex", "--agent", "cook"], env)).toMatchObject({ code: 0, stdout: "nothing to do: every memory of agent cook is of offline-hash-384\n", stderr: "" });
			// --all: every memory, whatever its model, still in steps.
			const all = await runCli(["memory", "reindex", "--all", "--agent", "cook", "--batch", "2"], env);
			expect(all).toMatchObject({ code: 0, stdout: "done: 3 memories of agent cook re-embedded with offline-hash-384; all are of that model now\n" });
			expect(all.stderr.trim().split("\n")).toHaveLength(2);
			const json = await runCli(["memory", "reindex", "--json"], env);
			expect(JSON.parse(json.stdout)).toEqual({ model: "offline-hash-384", reindexed: 0, skipped: 0, remaining: 0 });
			expect((await runCli(["memory", "forget"], env)).code).toBe(1);
		} finally {
			await after.stop();
		}
	}, 180000);
});
