import type { ServiceSchema } from "moleculer";

/**
 * REST aliases from the `rest` keys of the services' actions ("POST /agents" on service
 * `agents` with `settings.rest: "/"` → "POST agents": "agents.spawn"). Built once, at
 * start: moleculer-web's autoAliases would rebuild every route (after a 500 ms debounce)
 * each time any service appears — and every spawned agent is a service.
 */
export function restAliases(schemas: ServiceSchema[]): Record<string, string> {
	const aliases: Record<string, string> = {};
	for (const schema of schemas) {
		const base = (schema.settings as { rest?: string } | undefined)?.rest ?? `/${schema.name}`;
		for (const [name, action] of Object.entries(schema.actions ?? {})) {
			const rest = typeof action === "object" ? action.rest : undefined;
			for (const route of rest === undefined ? [] : Array.isArray(rest) ? rest : [rest]) {
				const [method, routePath] = route.split(" ");
				const full = `${base.replace(/\/$/, "")}/${routePath.replace(/^\//, "")}`.replace(/^\//, "").replace(/\/$/, "");
				aliases[`${method} ${full}`] = `${schema.name}.${name}`;
			}
		}
	}
	return aliases;
}
