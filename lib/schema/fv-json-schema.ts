/**
 * fastest-validator params → JSON Schema (draft 2020-12, which OpenAPI 3.1 and LLM tool
 * definitions both speak). The rule semantics mirror fastest-validator 1.x (lib/rules/*):
 * where a rule cannot be said exactly in JSON Schema the result is the closest STRICTER
 * schema (everything it accepts, the server accepts), and what no schema can say (custom
 * checker functions, class instances) becomes `{}` with a description. It never throws:
 * a route's documentation must not break because one rule is exotic.
 */

export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

/** The draft 2020-12 keywords the converter writes (others pass through the index signature). */
export interface JsonSchemaObject {
	type?: JsonType | JsonType[];
	title?: string;
	description?: string;
	default?: unknown;
	enum?: unknown[];
	const?: unknown;
	format?: string;
	pattern?: string;
	minLength?: number;
	maxLength?: number;
	minimum?: number;
	maximum?: number;
	exclusiveMinimum?: number;
	exclusiveMaximum?: number;
	properties?: Record<string, JsonSchemaObject>;
	required?: string[];
	additionalProperties?: boolean | JsonSchemaObject;
	propertyNames?: JsonSchemaObject;
	minProperties?: number;
	maxProperties?: number;
	items?: JsonSchemaObject | false;
	prefixItems?: JsonSchemaObject[];
	minItems?: number;
	maxItems?: number;
	uniqueItems?: boolean;
	contains?: JsonSchemaObject;
	anyOf?: JsonSchemaObject[];
	allOf?: JsonSchemaObject[];
	not?: JsonSchemaObject;
	[keyword: string]: unknown;
}

/** A rule in its long form: `{ type, ...options }`. */
interface Rule {
	type: string;
	[option: string]: unknown;
}

// fastest-validator's own patterns (lib/rules/string.js, url.js, email.js, mac.js), as JSON Schema patterns.
const STRING_FLAGS: Record<string, string> = {
	numeric: "^-?[0-9]\\d*(\\.\\d+)?$",
	alpha: "^[a-zA-Z]+$",
	alphanum: "^[a-zA-Z0-9]+$",
	alphadash: "^[a-zA-Z0-9_-]+$",
	hex: "^(?:[0-9a-fA-F]{2})+$", // hex also needs an even length
	singleLine: "^[^\\n]*$",
	base64: "^(?:[A-Za-z0-9+\\\\/]{4})*(?:[A-Za-z0-9+\\\\/]{2}==|[A-Za-z0-9+/]{3}=)?$"
};
const URL_PATTERN = "^https?:\\/\\/\\S+";
const EMAIL_QUICK = "^\\S+@\\S+\\.\\S+$";
const EMAIL_PRECISE = '^(([^<>()[\\]\\\\.,;:\\s@"]+(\\.[^<>()[\\]\\\\.,;:\\s@"]+)*)|(".+"))@((\\[[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\])|(([a-zA-Z\\-0-9]+\\.)+[a-zA-Z]{2,}))$';
const MAC_PATTERN = "^((([a-fA-F0-9][a-fA-F0-9]+[-]){5}|([a-fA-F0-9][a-fA-F0-9]+[:]){5})([a-fA-F0-9][a-fA-F0-9])$)|(^([a-fA-F0-9]{4,}[.]){2}([a-fA-F0-9]{4}))$";

/** Converts an action's `params` (or any fastest-validator schema) to a JSON Schema. */
export function toJsonSchema(params: Record<string, unknown>): JsonSchemaObject {
	if (Array.isArray(params)) return convert(params);
	if (params.$$root === true) {
		const { $$root: _root, ...rule } = params;
		return convert(rule);
	}
	return objectSchema(params, params.$$strict);
}

/** Whether a property may be left out: optional, or filled in by a default. */
function isOptionalRule(raw: unknown): boolean {
	const rule = normalize(raw);
	return !!rule && (rule.optional === true || rule.default != null || rule.type === "forbidden");
}

/** Shorthand, multi (array) and `$$type` forms → the long form; undefined when it is no rule. */
function normalize(raw: unknown): Rule | undefined {
	if (typeof raw === "string") return parseShortHand(raw);
	if (Array.isArray(raw)) {
		if (!raw.length) return undefined;
		const rules = raw.map(normalize);
		return { type: "multi", rules: raw, optional: rules.every(r => r?.optional === true), nullable: rules.every(r => r?.nullable === true) };
	}
	if (!raw || typeof raw !== "object") return undefined;
	const { $$type, ...rest } = raw as Record<string, unknown>;
	if (typeof $$type === "string") {
		const base = parseShortHand($$type);
		return base && { ...base, props: rest };
	}
	return typeof rest.type === "string" ? (rest as Rule) : undefined;
}

/** `"number|integer|min:1"`, `"string[]"`, `"boolean|no-convert"`: as fastest-validator's parseShortHand. */
function parseShortHand(text: string): Rule | undefined {
	const [type, ...options] = text.split("|").map(s => s.trim());
	if (!type) return undefined;
	const rule: Rule = type.endsWith("[]") ? { type: "array", items: type.slice(0, -2) } : { type };
	for (const option of options) {
		const at = option.indexOf(":");
		if (at === -1) {
			if (option.startsWith("no-")) rule[option.slice(3)] = false;
			else rule[option] = true;
			continue;
		}
		const value = option.slice(at + 1).trim();
		rule[option.slice(0, at).trim()] = value === "true" || value === "false" ? value === "true" : Number.isNaN(Number(value)) ? value : Number(value);
	}
	return rule;
}

function convert(raw: unknown): JsonSchemaObject {
	const rule = normalize(raw);
	if (!rule) return { description: `Not a fastest-validator rule: ${JSON.stringify(raw) ?? String(raw)}` };
	let schema = convertRule(rule);
	if (typeof rule.custom === "function" || Array.isArray(rule.custom)) {
		schema.description = [schema.description, "further checked by a custom function"].filter(Boolean).join("; ");
	}
	if (rule.nullable === true) schema = withNull(schema);
	if (rule.default != null && typeof rule.default !== "function") schema.default = rule.default;
	if (typeof rule.label === "string") schema.title = rule.label;
	if (typeof rule.description === "string") schema.description = rule.description;
	return schema;
}

function convertRule(rule: Rule): JsonSchemaObject {
	const num = (key: string) => (typeof rule[key] === "number" ? (rule[key] as number) : undefined);
	switch (rule.type) {
		case "any":
			return {};
		case "string":
			return stringSchema(rule, num);
		case "number": {
			const s: JsonSchemaObject = { type: rule.integer === true ? "integer" : "number" };
			if (num("min") !== undefined) s.minimum = num("min");
			if (num("max") !== undefined) s.maximum = num("max");
			if (rule.positive === true) s.exclusiveMinimum = 0;
			if (rule.negative === true) s.exclusiveMaximum = 0;
			if (num("equal") !== undefined) s.const = num("equal");
			if (num("notEqual") !== undefined) s.not = { const: num("notEqual") };
			return s;
		}
		case "boolean":
			return { type: "boolean" };
		case "date":
			// With convert, fastest-validator parses strings; without it only a Date object passes (never JSON).
			return rule.convert === true ? { type: "string", format: "date-time" } : { type: "string", format: "date-time", description: "a Date object (not convertible from JSON: the rule lacks convert)" };
		case "email":
			return lengths({ type: "string", format: "email", pattern: rule.mode === "precise" ? EMAIL_PRECISE : EMAIL_QUICK }, num("min"), num("max"));
		case "url":
			return { type: "string", format: "uri", pattern: URL_PATTERN };
		case "uuid":
			return { type: "string", format: "uuid", pattern: uuidPattern(num("version")) };
		case "objectID":
			return { type: "string", pattern: "^[0-9a-fA-F]{24}$" };
		case "mac":
			return { type: "string", pattern: MAC_PATTERN };
		case "luhn":
			return { type: "string", description: "digits that pass the Luhn checksum" };
		case "currency":
			return { type: "string", description: "a currency amount" };
		case "enum":
			return { enum: Array.isArray(rule.values) ? [...rule.values] : [] };
		case "equal":
			return rule.field === undefined ? { const: rule.value } : { description: `must equal the field ${String(rule.field)}` };
		case "forbidden":
			return rule.remove === true ? { description: "ignored: the server removes it" } : { not: {} };
		case "multi":
			return { anyOf: (rule.rules as unknown[]).map(convert) };
		case "object": {
			const props = (rule.props ?? rule.properties) as Record<string, unknown> | undefined;
			const s = props && typeof props === "object" ? objectSchema(props, rule.strict) : { type: "object" as const };
			if (num("minProps") !== undefined) s.minProperties = num("minProps");
			if (num("maxProps") !== undefined) s.maxProperties = num("maxProps");
			return s;
		}
		case "record":
			return { type: "object", propertyNames: convert(rule.key ?? "string"), additionalProperties: convert(rule.value ?? "any") };
		case "array":
			return arraySchema(rule, num);
		case "tuple": {
			if (!Array.isArray(rule.items)) return { type: "array" };
			// An empty array passes too unless `empty: false` (lib/rules/tuple.js).
			const n = rule.items.length;
			const fixed: JsonSchemaObject = { type: "array", prefixItems: rule.items.map(convert), items: false, minItems: n, maxItems: n };
			return rule.empty === false ? fixed : { anyOf: [{ type: "array", maxItems: 0 }, fixed] };
		}
		default:
			return { description: `fastest-validator rule "${rule.type}" (no JSON Schema equivalent)` };
	}
}

function stringSchema(rule: Rule, num: (key: string) => number | undefined): JsonSchemaObject {
	const s = lengths({ type: "string" }, num("min"), num("max"));
	if (num("length") !== undefined) s.minLength = s.maxLength = num("length");
	if (rule.empty === false) s.minLength = Math.max(1, s.minLength ?? 0);
	if (Array.isArray(rule.enum)) s.enum = [...rule.enum];
	const patterns: string[] = [];
	if (rule.pattern instanceof RegExp || typeof rule.pattern === "string") {
		const source = rule.pattern instanceof RegExp ? rule.pattern.source : rule.pattern;
		const flags = (rule.pattern instanceof RegExp ? rule.pattern.flags : String(rule.patternFlags ?? "")).replace(/[gu]/g, "");
		patterns.push(source);
		// JSON Schema patterns have no flags: the pattern stays as written (stricter under `i`), and says so.
		if (flags) s.description = `pattern flags /${flags} apply`;
	}
	if (typeof rule.contains === "string") patterns.push(rule.contains.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
	for (const [flag, pattern] of Object.entries(STRING_FLAGS)) if (rule[flag] === true) patterns.push(pattern);
	if (patterns.length) s.pattern = patterns[0];
	if (patterns.length > 1) s.allOf = patterns.slice(1).map(pattern => ({ pattern }));
	return s;
}

function arraySchema(rule: Rule, num: (key: string) => number | undefined): JsonSchemaObject {
	const s = lengths({ type: "array" }, num("min"), num("max"), "Items");
	if (num("length") !== undefined) s.minItems = s.maxItems = num("length");
	if (rule.empty === false) s.minItems = Math.max(1, s.minItems ?? 0);
	if (rule.unique === true) s.uniqueItems = true;
	if (rule.contains !== undefined) s.contains = { const: rule.contains };
	const items = rule.items === undefined ? undefined : convert(rule.items);
	const values = Array.isArray(rule.enum) ? { enum: [...rule.enum] } : undefined;
	if (items && values) s.items = { allOf: [items, values] };
	else if (items || values) s.items = items ?? values;
	return s;
}

function objectSchema(props: Record<string, unknown>, strict: unknown): JsonSchemaObject {
	const properties: Record<string, JsonSchemaObject> = {};
	const required: string[] = [];
	for (const [key, raw] of Object.entries(props)) {
		if (key.startsWith("$$")) continue;
		properties[key] = convert(raw);
		if (!isOptionalRule(raw)) required.push(key);
	}
	const s: JsonSchemaObject = { type: "object", properties };
	if (required.length) s.required = required;
	// strict: "remove" drops unknown keys instead of refusing them; either way they do nothing.
	if (strict === true || strict === "remove") s.additionalProperties = false;
	return s;
}

function lengths(s: JsonSchemaObject, min: number | undefined, max: number | undefined, suffix: "Length" | "Items" = "Length"): JsonSchemaObject {
	return { ...s, ...(min !== undefined ? { [`min${suffix}`]: min } : {}), ...(max !== undefined ? { [`max${suffix}`]: max } : {}) };
}

/** fastest-validator's uuid check, variant included (versions 3-5, 7, 8 need 8|9|a|b); any case. */
function uuidPattern(version: number | undefined): string {
	const h = "[0-9a-fA-F]";
	const v = version !== undefined && version < 9 ? version : undefined; // as `parseInt(version) < 9` there
	const pick = (set: number[]) => set.filter(n => v === undefined || n === v).join("");
	const branches: string[] = [];
	if (pick([1, 2, 6])) branches.push(`${h}{8}-${h}{4}-[${pick([1, 2, 6])}]${h}{3}-${h}{4}-${h}{12}`);
	if (pick([3, 4, 5, 7, 8])) branches.push(`${h}{8}-${h}{4}-[${pick([3, 4, 5, 7, 8])}]${h}{3}-[89abAB]${h}{3}-${h}{12}`);
	if (v === undefined || v === 0) branches.push("0{8}-0{4}-0{4}-0{4}-0{12}");
	return `^(?:${branches.join("|")})$`;
}

function withNull(s: JsonSchemaObject): JsonSchemaObject {
	const keys = Object.keys(s).filter(k => k !== "description" && k !== "title");
	if (!keys.length) return s; // {} already accepts null
	if (typeof s.type === "string" && s.const === undefined && !s.anyOf) {
		return { ...s, type: [s.type, "null"], ...(s.enum ? { enum: [...s.enum, null] } : {}) };
	}
	if (s.enum && !s.type) return { ...s, enum: [...s.enum, null] };
	if (s.anyOf && keys.length === 1) return { ...s, anyOf: [...s.anyOf, { type: "null" }] };
	return { anyOf: [s, { type: "null" }] };
}
