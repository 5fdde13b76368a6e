import Ajv2020 from "ajv/dist/2020";
import Validator from "fastest-validator";
import { CHAT_PARAMS } from "../../lib/mal/chat-params";
import { toJsonSchema } from "../../lib/schema/fv-json-schema";

type Params = Record<string, unknown>;

// What a consumer's validator checks for each format (ajv-formats-like, not fastest-validator's rules).
const warnings: string[] = [];
const ajv = new Ajv2020({
	allErrors: true,
	logger: { log: () => undefined, warn: (...m: unknown[]) => warnings.push(m.join(" ")), error: (...m: unknown[]) => warnings.push(m.join(" ")) },
	formats: {
		"date-time": (s: string) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
		email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
		uri: /^[a-zA-Z][a-zA-Z0-9+.-]*:\S*$/,
		uuid: /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i
	}
});

const fvAccepts = (params: Params, value: unknown) => new Validator().compile(structuredClone(params))(structuredClone(value)) === true;
const jsonAccepts = (params: Params, value: unknown) => ajv.compile(toJsonSchema(params))(structuredClone(value));

const V4 = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const V1 = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

/** Params × values: fastest-validator's verdict is listed (so the table is checked too) and the JSON Schema must agree. */
const TABLE: { name: string; params: Params; accept: unknown[]; reject: unknown[] }[] = [
	{ name: "string min/max", params: { s: { type: "string", min: 2, max: 4 } }, accept: [{ s: "ab" }, { s: "abcd" }], reject: [{ s: "a" }, { s: "abcde" }, { s: 3 }, {}, { s: null }] },
	{ name: "string pattern (RegExp)", params: { s: { type: "string", pattern: /^[a-z]+\d$/ } }, accept: [{ s: "ab1" }], reject: [{ s: "AB1" }, { s: "ab" }] },
	{ name: "string pattern (string)", params: { s: { type: "string", pattern: "^x+$" } }, accept: [{ s: "xx" }], reject: [{ s: "xy" }] },
	{ name: "string enum", params: { s: { type: "string", enum: ["a", "b"] } }, accept: [{ s: "a" }], reject: [{ s: "c" }] },
	{
		name: "string flags",
		params: {
			a: "string|alpha",
			n: "string|numeric|optional",
			h: { type: "string", hex: true, optional: true },
			l: { type: "string", singleLine: true, optional: true },
			c: { type: "string", contains: "a.b", optional: true },
			e: { type: "string", empty: false, optional: true },
			len: { type: "string", length: 2, optional: true },
			two: { type: "string", alpha: true, min: 2, pattern: /^a/, optional: true }
		},
		accept: [{ a: "Ab" }, { a: "x", n: "-1.5", h: "0aFf", l: "one line", c: "xa.by", e: "x", len: "ab", two: "abc" }],
		reject: [{ a: "a1" }, { a: "x", n: "1." }, { a: "x", h: "abc" }, { a: "x", l: "a\nb" }, { a: "x", c: "axb" }, { a: "x", e: "" }, { a: "x", len: "abc" }, { a: "x", two: "ba" }, { a: "x", two: "a1" }]
	},
	{ name: "email", params: { e: "email" }, accept: [{ e: "a@b.co" }], reject: [{ e: "a@b" }, { e: "" }, { e: "a b@c.de" }] },
	{ name: "url", params: { u: "url" }, accept: [{ u: "https://x.io/a?b=1" }, { u: "http://localhost:3000" }], reject: [{ u: "ftp://x.io" }, { u: "" }, { u: "x.io" }] },
	{ name: "uuid", params: { id: "uuid" }, accept: [{ id: V4 }, { id: V4.toUpperCase() }, { id: V1 }, { id: "00000000-0000-0000-0000-000000000000" }], reject: [{ id: "f47ac10b-58cc-4372-c567-0e02b2c3d479" }, { id: "not-a-uuid" }, { id: `${V4}0` }] },
	{ name: "uuid version 4", params: { id: { type: "uuid", version: 4 } }, accept: [{ id: V4 }], reject: [{ id: V1 }] },
	{ name: "date (convert)", params: { d: { type: "date", convert: true } }, accept: [{ d: "2024-05-01T10:00:00Z" }, { d: "2024-05-01T10:00:00.5+02:00" }], reject: [{ d: "yesterday" }, {}] },
	{
		name: "number",
		params: { n: { type: "number", min: 1, max: 10 }, i: "number|integer|optional", p: "number|positive|optional", m: { type: "number", negative: true, optional: true } },
		accept: [{ n: 1 }, { n: 10, i: 3 }, { n: 5.5, p: 0.1, m: -1 }],
		reject: [{ n: 0 }, { n: 11 }, { n: "5" }, { n: 5, i: 1.5 }, { n: 5, p: 0 }, { n: 5, m: 0 }]
	},
	{ name: "number equal/notEqual", params: { e: { type: "number", equal: 3 }, ne: { type: "number", notEqual: 0, optional: true } }, accept: [{ e: 3, ne: 1 }], reject: [{ e: 4 }, { e: 3, ne: 0 }] },
	{ name: "boolean", params: { b: "boolean" }, accept: [{ b: true }, { b: false }], reject: [{ b: "true" }, { b: 1 }, {}] },
	{
		name: "object props, strict",
		params: { o: { type: "object", strict: true, props: { a: "string", b: "number|optional" } } },
		accept: [{ o: { a: "x" } }, { o: { a: "x", b: 2 } }],
		reject: [{ o: { a: "x", c: 1 } }, { o: {} }, { o: [] }, { o: "x" }]
	},
	{ name: "object without props", params: { o: "object", m: { type: "object", minProps: 1, maxProps: 2, optional: true } }, accept: [{ o: {} }, { o: { any: [1] }, m: { a: 1 } }], reject: [{ o: [] }, { o: null }, { o: 1 }, { o: {}, m: {} }, { o: {}, m: { a: 1, b: 2, c: 3 } }] },
	{ name: "$$type nested object", params: { addr: { $$type: "object|optional", city: "string" } }, accept: [{}, { addr: { city: "x" } }], reject: [{ addr: {} }, { addr: { city: 1 } }] },
	{ name: "$$strict", params: { $$strict: true, a: "string" }, accept: [{ a: "x" }], reject: [{ a: "x", b: 1 }] },
	{ name: "$$root", params: { $$root: true, type: "array", items: "number", min: 1 }, accept: [[1], [1, 2]], reject: [[], ["x"], {}] },
	{
		name: "array",
		params: {
			a: { type: "array", items: "string", min: 1, max: 2 },
			u: { type: "array", unique: true, optional: true },
			e: { type: "array", enum: ["x", "y"], optional: true },
			c: { type: "array", contains: "k", optional: true },
			n: { type: "array", empty: false, length: 2, items: "number", optional: true }
		},
		accept: [{ a: ["x"] }, { a: ["x", "y"], u: [1, 2], e: ["x", "x"], c: ["j", "k"], n: [1, 2] }],
		reject: [{ a: [] }, { a: ["x", "y", "z"] }, { a: [1] }, { a: "x" }, { a: ["x"], u: [1, 1] }, { a: ["x"], e: ["z"] }, { a: ["x"], c: ["j"] }, { a: ["x"], n: [1] }]
	},
	{ name: "enum rule", params: { e: { type: "enum", values: ["a", 1, true] } }, accept: [{ e: "a" }, { e: 1 }, { e: true }], reject: [{ e: "b" }, { e: "1" }, {}] },
	{ name: "equal rule", params: { e: { type: "equal", value: "yes", strict: true } }, accept: [{ e: "yes" }], reject: [{ e: "no" }] },
	{ name: "any", params: { x: "any" }, accept: [{ x: 1 }, { x: "s" }, { x: {} }, { x: [] }], reject: [{}] },
	{ name: "multi: string or array", params: { v: [{ type: "string" }, { type: "array", items: "string", min: 1 }] }, accept: [{ v: "x" }, { v: ["x"] }], reject: [{ v: [] }, { v: [1] }, { v: 3 }, {}] },
	// Overlapping alternatives: a value matching both is valid (so anyOf, not oneOf).
	{ name: "multi: overlapping", params: { v: ["string", "string|min:3"] }, accept: [{ v: "ab" }, { v: "abcd" }], reject: [{ v: 1 }] },
	{ name: "multi: all optional", params: { v: [{ type: "enum", values: ["a"], optional: true }, { type: "number", optional: true }] }, accept: [{}, { v: "a" }, { v: 2 }], reject: [{ v: "b" }] },
	{
		name: "shorthand strings",
		params: { a: "string", b: "string|optional", c: "number|integer|min:1", d: "string[]|optional", e: "string|min:2|max:3|optional" },
		accept: [{ a: "x", c: 1 }, { a: "x", c: 2, d: ["p"], e: "abc" }],
		reject: [{ a: "x", c: 0 }, { a: "x", c: 1.5 }, { c: 1 }, { a: "x", c: 1, d: [1] }, { a: "x", c: 1, e: "a" }]
	},
	{
		name: "optional, nullable, default",
		params: { n: { type: "string", nullable: true }, d: { type: "number", default: 5 }, o: { type: "string", optional: true, nullable: true }, e: { type: "enum", values: ["a"], nullable: true, optional: true } },
		accept: [{ n: null }, { n: "x" }, { n: "x", d: 1 }, { n: "x", o: null, e: null }, { n: "x", e: "a" }],
		reject: [{}, { n: 1 }, { n: "x", d: "a" }, { n: "x", e: "b" }]
	},
	{ name: "tuple", params: { t: { type: "tuple", items: ["string", "number"] } }, accept: [{ t: ["a", 1] }, { t: [] }], reject: [{ t: ["a"] }, { t: [1, "a"] }, { t: ["a", 1, 2] }] },
	{ name: "record", params: { r: { type: "record", key: { type: "string", alpha: true }, value: "number" } }, accept: [{ r: { ab: 1 } }, { r: {} }], reject: [{ r: { a1: 1 } }, { r: { a: "x" } }] },
	{ name: "forbidden", params: { f: "forbidden", a: "string|optional" }, accept: [{}, { a: "x" }], reject: [{ f: 1 }] },
	{ name: "mac", params: { m: "mac" }, accept: [{ m: "01:23:45:67:89:ab" }, { m: "01-23-45-67-89-AB" }, { m: "0123.4567.89ab" }], reject: [{ m: "01:23" }, { m: "zz:23:45:67:89:ab" }] },
	{
		name: "mal chat params",
		params: CHAT_PARAMS as unknown as Params,
		accept: [
			{ messages: [{ role: "user", content: "hi" }] },
			{ model: "m", messages: [{ role: "assistant", content: null, toolCalls: [{ id: "1", name: "f", arguments: {} }] }], tools: [{ name: "fs.read", parameters: {} }], toolChoice: "auto", temperature: 2, maxTokens: 5, stop: ["x"] },
			{ messages: [{ role: "tool", toolCallId: "1", content: "r" }], toolChoice: { name: "f" } }
		],
		reject: [{}, { messages: [] }, { messages: [{ role: "bot" }] }, { messages: [{ role: "user" }], tools: [{ name: "bad name", parameters: {} }] }, { messages: [{ role: "user" }], toolChoice: "any" }, { messages: [{ role: "user" }], maxTokens: 0 }, { messages: [{ role: "user" }], stop: ["a", "b", "c", "d", "e"] }]
	}
];

/**
 * Where the schema deliberately says less than fastest-validator accepts: values the server
 * coerces or tolerates but that are not the documented type.
 */
const STRICTER: { name: string; params: Params; value: unknown }[] = [
	{ name: "optional non-nullable field sent as null", params: { s: "string|optional" }, value: { s: null } },
	{ name: "number with convert given a numeric string", params: { n: { type: "number", convert: true } }, value: { n: "5" } },
	{ name: "date with convert given a timestamp", params: { d: { type: "date", convert: true } }, value: { d: 1700000000000 } },
	{ name: "date with convert given a date without time", params: { d: { type: "date", convert: true } }, value: { d: "2024-05-01" } },
	{ name: 'strict: "remove" given an unknown key', params: { o: { type: "object", strict: "remove", props: { a: "string" } } }, value: { o: { a: "x", b: 1 } } },
	{ name: "default given null", params: { d: { type: "number", default: 5 } }, value: { d: null } }
];

describe("toJsonSchema", () => {
	afterAll(() => expect(warnings).toEqual([]));

	describe.each(TABLE)("$name", ({ params, accept, reject }) => {
		it("compiles in Ajv's strict mode", () => {
			expect(() => ajv.compile(toJsonSchema(params))).not.toThrow();
		});
		it.each(accept.map(v => [JSON.stringify(v), v]))("accepts %s, as fastest-validator does", (_, value) => {
			expect(fvAccepts(params, value)).toBe(true);
			expect(jsonAccepts(params, value)).toBe(true);
		});
		it.each(reject.map(v => [JSON.stringify(v), v]))("rejects %s, as fastest-validator does", (_, value) => {
			expect(fvAccepts(params, value)).toBe(false);
			expect(jsonAccepts(params, value)).toBe(false);
		});
	});

	it.each(STRICTER)("is deliberately stricter: $name", ({ params, value }) => {
		expect(fvAccepts(params, value)).toBe(true);
		expect(jsonAccepts(params, value)).toBe(false);
	});

	it("the one looser case: a required `any` field sent as null (fastest-validator calls it missing)", () => {
		expect(fvAccepts({ x: "any" }, { x: null })).toBe(false);
		expect(jsonAccepts({ x: "any" }, { x: null })).toBe(true);
	});

	it("converts each rule type to the expected keywords", () => {
		expect(toJsonSchema({})).toEqual({ type: "object", properties: {} });
		expect(toJsonSchema({ a: "string|optional", b: "number|integer|min:1" })).toEqual({
			type: "object",
			properties: { a: { type: "string" }, b: { type: "integer", minimum: 1 } },
			required: ["b"]
		});
		const { properties: p } = toJsonSchema({
			s: { type: "string", min: 1, max: 5, pattern: /^a/ },
			n: { type: "number", positive: true, max: 3 },
			d: { type: "date", convert: true },
			u: "url",
			id: "uuid",
			e: { type: "enum", values: ["x", "y"] },
			o: { type: "object" },
			st: { type: "object", strict: true, props: { a: "boolean" } },
			arr: { type: "array", items: "string", min: 1, max: 3 },
			m: [{ type: "string" }, { type: "array", items: "string" }],
			nul: { type: "string", nullable: true },
			def: { type: "number", default: 3, description: "how many" },
			x: "any"
		});
		expect(p).toMatchObject({
			s: { type: "string", minLength: 1, maxLength: 5, pattern: "^a" },
			n: { type: "number", exclusiveMinimum: 0, maximum: 3 },
			d: { type: "string", format: "date-time" },
			u: { type: "string", format: "uri" },
			id: { type: "string", format: "uuid" },
			e: { enum: ["x", "y"] },
			o: { type: "object" },
			st: { type: "object", properties: { a: { type: "boolean" } }, required: ["a"], additionalProperties: false },
			arr: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 },
			m: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
			nul: { type: ["string", "null"] },
			def: { type: "number", default: 3, description: "how many" },
			x: {}
		});
		expect(p?.o).toEqual({ type: "object" });
		expect(toJsonSchema({ $$root: true, type: "string", email: true })).toEqual({ type: "string" });
	});

	it("says what it cannot convert instead of throwing", () => {
		const { properties: p } = toJsonSchema({
			c: { type: "class", instanceOf: Buffer },
			f: { type: "function" },
			weird: { type: "nosuchrule" },
			num: 42,
			empty: [],
			fn: { type: "string", custom: (v: unknown) => v },
			i: { type: "string", pattern: /^ab$/i }
		});
		expect(p?.c.description).toMatch(/"class"/);
		expect(p?.f.description).toMatch(/"function"/);
		expect(p?.weird.description).toMatch(/"nosuchrule"/);
		expect(p?.num.description).toMatch(/Not a fastest-validator rule: 42/);
		expect(p?.empty.description).toMatch(/Not a fastest-validator rule/);
		expect(p?.fn).toEqual({ type: "string", description: "further checked by a custom function" });
		expect(p?.i).toEqual({ type: "string", pattern: "^ab$", description: "pattern flags /i apply" });
	});
});
