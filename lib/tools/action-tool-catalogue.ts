import type { ServiceBroker } from "moleculer";
import { actionTool } from "./action-tools";
import type { ToolDefinition } from "./tool";

/** Moleculer broadcasts it locally, after its registry changed, whenever a service of any node starts or stops, or a node comes or goes. */
const SERVICES_CHANGED = "$services.changed";

/**
 * The cluster's actions offered as tools, converted once and converted again only after
 * the set of services changes — not at every `tools.list` and `tools.invoke`, where
 * converting every action's params to JSON Schema cost a chat much of its time. The
 * registry tells of every change synchronously on the broker's local bus, before any
 * later call can see the new services, so a tool appears or goes at once. Whether an
 * action can be called right now (an endpoint's circuit open) changes without that
 * event, so it is asked of the registry at each call, as it is cheap.
 */
export class ActionToolCatalogue {
	private tools: Map<string, ToolDefinition> | null = null;
	private readonly invalidate = () => {
		this.tools = null;
	};

	constructor(private readonly broker: ServiceBroker) {
		broker.localBus.on(SERVICES_CHANGED, this.invalidate);
	}

	/** Every offered action with an endpoint that can take a call. */
	list(): ToolDefinition[] {
		return [...this.catalogue().values()].filter(tool => this.available(tool.id));
	}

	/** One tool by id (`action:<service.action>`), without listing the others. */
	find(id: string): ToolDefinition | undefined {
		const tool = this.catalogue().get(id);
		return tool && this.available(id) ? tool : undefined;
	}

	close(): void {
		this.broker.localBus.off(SERVICES_CHANGED, this.invalidate);
	}

	private available(id: string): boolean {
		return this.broker.registry.actions.get(id.slice("action:".length))?.hasAvailable() ?? false;
	}

	private catalogue(): Map<string, ToolDefinition> {
		if (this.tools) return this.tools;
		const tools = new Map<string, ToolDefinition>();
		for (const entry of this.broker.registry.getActionList({ onlyAvailable: false, withEndpoints: false })) {
			const tool = entry.action ? actionTool(this.broker, entry.name, entry.action) : undefined;
			if (tool) tools.set(tool.id, tool);
		}
		return (this.tools = tools);
	}
}
