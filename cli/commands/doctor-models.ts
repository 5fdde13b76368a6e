import type { MalConfig } from "../../lib/mal/mal-config";
import type { ProviderConfig } from "../../lib/mal/providers/base";
import { createProvider } from "../../lib/mal/providers/registry";
import { ModelRouter } from "../../lib/mal/router";
import type { Check } from "./doctor";

/** A local server may take a while to load a model on its first call. */
export const MODEL_TIMEOUT_MS = 15_000;

/**
 * One real call per provider and capability — a one-token chat with its default model, an
 * embedding of one word with its embedding model — so a person sees which works, and the
 * provider's own error for what does not (a server with chat but no embedding model, say).
 */
export async function providerChecks(mal: MalConfig): Promise<Check[]> {
	const embedRoute = new ModelRouter(mal).resolve(undefined, "embed");
	const memories = `${embedRoute.provider.name}/${embedRoute.model}`;
	const checks = mal.providers.map(async p => {
		const out = [await chatCheck(p)];
		if (p.embeddingModel) out.push(await embeddingsCheck(p, embedRoute.provider === p));
		// An OpenAI-compatible server without an embedding model is worth a word; Anthropic has no embeddings at all.
		else if (p.type === "openai") {
			out.push({
				check: `${p.name} embeddings`,
				status: "warn",
				detail: `none configured, so memories are embedded by ${memories}; set LLM_EMBEDDING_MODEL to an embedding model this server has (e.g. nomic-embed-text on Ollama) for vectors by meaning`
			});
		}
		return out;
	});
	return (await Promise.all(checks)).flat();
}

async function chatCheck(p: ProviderConfig): Promise<Check> {
	const model = p.models[0];
	const check = `${p.name} chat`;
	if (!model) return { check, status: "fail", detail: "no model configured" };
	return timed(p.name, check, model, async signal => {
		await createProvider(p).chat({ model, messages: [{ role: "user", content: "Answer OK." }], maxTokens: 1 }, signal);
		return "answers";
	});
}

async function embeddingsCheck(p: ProviderConfig, forMemories: boolean): Promise<Check> {
	const model = p.embeddingModel!;
	const checked = await timed(p.name, `${p.name} embeddings`, model, async signal => {
		const result = await createProvider(p).embed({ model, input: ["doctor"] }, signal);
		return `answers (${result.vectors[0]?.length ?? 0} dimensions)`;
	});
	if (!forMemories) return checked;
	checked.detail +=
		checked.status === "ok"
			? "; memories are embedded with it"
			: "; memories can be neither stored nor recalled with it: set LLM_EMBEDDING_MODEL to a model this server has, or leave it unset for the offline embedder";
	return checked;
}

/** The call within MODEL_TIMEOUT_MS, as a check line: what answered and how fast, or the provider's error. */
async function timed(provider: string, check: string, model: string, call: (signal: AbortSignal) => Promise<string>): Promise<Check> {
	const started = Date.now();
	const signal = AbortSignal.timeout(MODEL_TIMEOUT_MS);
	try {
		const what = await call(signal);
		return { check, status: "ok", detail: `${model} ${what} in ${Date.now() - started} ms` };
	} catch (err) {
		// Provider errors start with the provider's name, which the check's name already says.
		const message = (err as Error).message.replace(`${provider}: `, "");
		const why = signal.aborted ? `no answer within ${MODEL_TIMEOUT_MS / 1000} s (a local server may still be loading the model; try again)` : message;
		return { check, status: "fail", detail: `${model}: ${why}` };
	}
}
