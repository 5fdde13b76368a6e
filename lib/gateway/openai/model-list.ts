import type { Context } from "moleculer";
import type { AgentView } from "../../cluster/agent-view";
import type { Scope } from "../../security/capabilities";
import { AGENT_PREFIX } from "./request";
import { modelEntry } from "./shapes";

interface MalModels {
	aliases: Record<string, string>;
	providers: { name: string; models: string[] }[];
}

const PAGE = 1000;

/**
 * `GET /v1/models`: with the `tasks` scope every agent, as `agent:<id>` (the scope that
 * lets a token task or chat with any agent); with `llm`, the model layer's aliases and
 * `provider/model` names. Read through the same actions as the REST API.
 */
export async function listModels(ctx: Context, allows: (scope: Scope) => boolean) {
	const data: ReturnType<typeof modelEntry>[] = [];
	if (allows("tasks")) {
		for (let offset = 0; ; offset += PAGE) {
			const page = await ctx.call<{ items: AgentView[]; total: number }, object>("agents.list", { limit: PAGE, offset });
			for (const a of page.items) data.push(modelEntry(`${AGENT_PREFIX}${a.id}`, a.owner ?? "agentos", Math.floor(Date.parse(a.createdAt) / 1000) || 0));
			if (page.items.length < PAGE || offset + PAGE >= page.total) break;
		}
	}
	if (allows("llm")) {
		const models = await ctx.call<MalModels>("mal.models");
		const names = new Set([...Object.keys(models.aliases), ...models.providers.flatMap(p => p.models.map(m => `${p.name}/${m}`))]);
		for (const name of names) data.push(modelEntry(name, name.includes("/") ? name.slice(0, name.indexOf("/")) : "agentos"));
	}
	return { object: "list" as const, data };
}
