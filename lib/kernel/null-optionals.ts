type Rule = unknown;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An optional rule that does not say `nullable`: fastest-validator lets a null through it as if the field were absent. */
function optionalNotNullable(rule: Rule): boolean {
	if (typeof rule === "string") return /\|\s*optional\b/.test(rule) && !/nullable/.test(rule);
	return isPlainObject(rule) && rule.optional === true && rule.nullable !== true;
}

/**
 * `params` with every null dropped where the schema's rule is optional and not nullable,
 * at any depth of `props` — the same object when there is none. fastest-validator passes
 * such a null as if the field were absent, but the handler then got the null itself, not
 * its default (`skills: null` → `null.map`, a 500); now it gets what absent means.
 */
export function dropNullOptionals(params: unknown, schema: Record<string, Rule> | undefined): unknown {
	if (!schema || !isPlainObject(params)) return params;
	let out: Record<string, unknown> | undefined;
	for (const [key, value] of Object.entries(params)) {
		if (!Object.hasOwn(schema, key) || key.startsWith("$$")) continue;
		const rule = schema[key];
		let next = value;
		if (value === null && optionalNotNullable(rule)) next = undefined;
		else if (isPlainObject(value) && isPlainObject(rule) && isPlainObject(rule.props)) next = dropNullOptionals(value, rule.props);
		if (next === value) continue;
		out ??= { ...params };
		if (next === undefined) delete out[key];
		else out[key] = next;
	}
	return out ?? params;
}
