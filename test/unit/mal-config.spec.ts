import { loadConfig } from "../../lib/kernel/config";
import { loadMalConfig } from "../../lib/mal/mal-config";
import { ModelRouter } from "../../lib/mal/router";

/** Where an embedding that names no model goes, and what each provider embeds with. */
function embedding(env: Record<string, string>) {
	const mal = loadMalConfig(loadConfig(env));
	const route = new ModelRouter(mal).resolve(undefined, "embed");
	return { provider: route.provider.name, model: route.model, byProvider: Object.fromEntries(mal.providers.map(p => [p.name, p.embeddingModel ?? null])) };
}

const OLLAMA = "http://127.0.0.1:11434/v1";

describe("the embedding model", () => {
	it("with a custom OPENAI_BASE_URL is the offline embedder, not OpenAI's model the server rarely has; OpenAI's own API keeps it", () => {
		expect(embedding({ OPENAI_BASE_URL: OLLAMA })).toEqual({ provider: "offline", model: "offline-hash-384", byProvider: { openai: null, offline: "offline-hash-384" } });
		expect(embedding({ OPENAI_BASE_URL: OLLAMA, OPENAI_API_KEY: "sk-x" })).toMatchObject({ provider: "offline", model: "offline-hash-384" });
		expect(embedding({ OPENAI_API_KEY: "sk-x" })).toMatchObject({ provider: "openai", model: "text-embedding-3-small" });
		expect(embedding({ OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: "https://api.openai.com/v1" })).toMatchObject({ provider: "openai", model: "text-embedding-3-small" });
	});

	it("with a custom OPENAI_BASE_URL is the model LLM_EMBEDDING_MODEL names on that server, as model or openai/model", () => {
		expect(embedding({ OPENAI_BASE_URL: OLLAMA, LLM_EMBEDDING_MODEL: "nomic-embed-text" })).toMatchObject({ provider: "openai", model: "nomic-embed-text", byProvider: { openai: "nomic-embed-text" } });
		expect(embedding({ OPENAI_BASE_URL: OLLAMA, LLM_EMBEDDING_MODEL: "openai/nomic-embed-text" })).toMatchObject({ provider: "openai", model: "nomic-embed-text" });
		expect(embedding({ OPENAI_BASE_URL: OLLAMA, LLM_EMBEDDING_MODEL: "offline-hash-384" })).toMatchObject({ provider: "offline", byProvider: { openai: null } });
		// A model another provider declares stays that provider's.
		const vllm = JSON.stringify([{ name: "vllm", type: "openai", baseUrl: "http://127.0.0.1:8000/v1", models: ["qwen"], embeddingModel: "bge-m3" }]);
		expect(embedding({ OPENAI_BASE_URL: OLLAMA, LLM_PROVIDERS: vllm, LLM_EMBEDDING_MODEL: "bge-m3" })).toMatchObject({ provider: "vllm", model: "bge-m3", byProvider: { openai: null, vllm: "bge-m3" } });
	});
});

describe("the model router", () => {
	it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])("answers a model named %s as unknown, for chat and embeddings", name => {
		const router = new ModelRouter(loadMalConfig(loadConfig({})));
		for (const kind of ["chat", "embed"] as const) expect(() => router.resolve(name, kind)).toThrow(expect.objectContaining({ type: "UNKNOWN_MODEL", code: 422 }));
	});
});
