import { UnknownModelError } from "./errors";
import type { MalConfig } from "./mal-config";
import type { ProviderConfig } from "./providers/base";

export interface Route {
	provider: ProviderConfig;
	model: string;
}

/**
 * Which provider serves a model, and where to go when it fails. A request may name a
 * model (`gpt-4o`), a provider and model (`ollama/llama3.1`) or an alias (`fast`). The
 * failover chain continues with the other providers' default models.
 */
export class ModelRouter {
	private readonly byName: Map<string, ProviderConfig>;

	constructor(private readonly config: MalConfig) {
		this.byName = new Map(config.providers.map(p => [p.name, p]));
	}

	/** The provider and model a request goes to first. */
	resolve(requested: string | undefined, kind: "chat" | "embed" = "chat"): Route {
		const wanted = requested?.trim() || (kind === "chat" ? this.config.defaultModel : this.config.embeddingModel);
		// Only the aliases configured: a model named like an inherited property (constructor) is no alias.
		const name = Object.hasOwn(this.config.aliases, wanted) ? this.config.aliases[wanted] : wanted;
		const slash = name.indexOf("/");
		if (slash > 0) {
			const provider = this.byName.get(name.slice(0, slash));
			const model = name.slice(slash + 1);
			if (provider && (provider.models.includes(model) || provider.embeddingModel === model)) return { provider, model };
		}
		const provider = this.config.providers.find(p => p.models.includes(name) || p.embeddingModel === name);
		if (!provider) throw new UnknownModelError(wanted, this.known());
		return { provider, model: name };
	}

	/** The first route, then the failover providers (each at its default model), without repeats. */
	chain(first: Route): Route[] {
		const routes = [first];
		for (const name of this.config.failover) {
			const provider = this.byName.get(name);
			if (provider && provider !== first.provider) routes.push({ provider, model: provider.models[0] });
		}
		return routes;
	}

	known(): string[] {
		return [...Object.keys(this.config.aliases), ...this.config.providers.flatMap(p => [...p.models, ...(p.embeddingModel ? [p.embeddingModel] : [])])];
	}
}
