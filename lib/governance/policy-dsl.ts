/**
 * The policy language. One rule a policy:
 *
 *   when <event> [where <field> <op> <value> (and …)*] [count <op> <n> within <duration>]
 *   then <action> (and <action>)*
 *
 * - event: an audit action (`tools.invoke`, `forums.*`), an alias (`tool.invoked`,
 *   `forum.posted` and `job.posted` (succeeded only), `llm.called`, `task.submitted`,
 *   `permission.denied`) or `any`;
 * - field: actor, actor.kind, action, target, outcome, node, tool, capability, data.<key>;
 *   op: = != > >= < <= ~ (contains); value: "text", a number, true or false;
 * - count: how many matching events by one agent within the window make the rule fire;
 *   without it, every matching event does;
 * - actions: `open case ["reason"]`, `warn`, `throttle <duration> [rate <n>]` (calls a
 *   minute), `quarantine [<duration>]`, `ban [<duration>]`; durations are 30s, 10m, 2h, 7d.
 *
 * `#` starts a comment. Errors name the line and column (1-based).
 */

export type Op = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~";
export type Value = string | number | boolean;

export interface Condition {
	field: string;
	op: Op;
	value: Value;
}

export type PolicyAction =
	| { kind: "open_case"; reason?: string }
	| { kind: "warn" }
	| { kind: "throttle"; durationMs: number; ratePerMinute?: number }
	| { kind: "quarantine"; durationMs?: number }
	| { kind: "ban"; durationMs?: number };

export interface PolicyRule {
	event: string;
	conditions: Condition[];
	count?: { op: Op; value: number; windowMs: number };
	actions: PolicyAction[];
}

export class PolicySyntaxError extends Error {
	constructor(
		readonly reason: string,
		readonly line: number,
		readonly column: number
	) {
		super(`line ${line}, column ${column}: ${reason}`);
		this.name = "PolicySyntaxError";
	}
}

type TokenKind = "word" | "string" | "number" | "duration" | "op" | "comma" | "end";
interface Token {
	kind: TokenKind;
	text: string;
	line: number;
	column: number;
	value?: number;
}

export const FIELDS = ["actor", "actor.kind", "action", "target", "outcome", "node", "tool", "capability"];
const OPS = ["!=", ">=", "<=", "=", ">", "<", "~"] as const;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_WINDOW_MS = 7 * 86_400_000;

function tokenize(source: string): Token[] {
	const tokens: Token[] = [];
	let line = 1;
	let col = 1;
	let i = 0;
	const advance = (n: number) => {
		for (let k = 0; k < n; k++) {
			if (source[i] === "\n") {
				line++;
				col = 1;
			} else col++;
			i++;
		}
	};
	while (i < source.length) {
		const c = source[i];
		if (c === "#") {
			while (i < source.length && source[i] !== "\n") advance(1);
			continue;
		}
		if (/\s/.test(c)) {
			advance(1);
			continue;
		}
		const start = { line, column: col };
		if (c === '"') {
			let text = "";
			let j = i + 1;
			while (j < source.length && source[j] !== '"') {
				if (source[j] === "\n") throw new PolicySyntaxError("unterminated string (a string ends on its line with \")", start.line, start.column);
				if (source[j] === "\\" && j + 1 < source.length) j++;
				text += source[j];
				j++;
			}
			if (j >= source.length) throw new PolicySyntaxError('unterminated string (missing closing ")', start.line, start.column);
			tokens.push({ kind: "string", text, ...start });
			advance(j + 1 - i);
			continue;
		}
		const op = OPS.find(o => source.startsWith(o, i));
		if (op) {
			tokens.push({ kind: "op", text: op, ...start });
			advance(op.length);
			continue;
		}
		if (c === ",") {
			tokens.push({ kind: "comma", text: ",", ...start });
			advance(1);
			continue;
		}
		const number = /^(\d+(?:\.\d+)?)([smhd])?(?![\w.])/.exec(source.slice(i));
		if (number) {
			const value = Number(number[1]);
			tokens.push(number[2] ? { kind: "duration", text: number[0], value: value * UNIT_MS[number[2]], ...start } : { kind: "number", text: number[0], value, ...start });
			advance(number[0].length);
			continue;
		}
		const word = /^[A-Za-z_*][\w.*-]*/.exec(source.slice(i));
		if (word) {
			tokens.push({ kind: "word", text: word[0], ...start });
			advance(word[0].length);
			continue;
		}
		throw new PolicySyntaxError(`unexpected character "${c}"`, start.line, start.column);
	}
	tokens.push({ kind: "end", text: "end of policy", line, column: col });
	return tokens;
}

class Parser {
	private pos = 0;
	constructor(private readonly tokens: Token[]) {}

	private peek(): Token {
		return this.tokens[this.pos];
	}

	private next(): Token {
		return this.tokens[this.pos++];
	}

	private fail(token: Token, expected: string): never {
		const found = token.kind === "end" ? "the end of the policy" : `"${token.text}"`;
		throw new PolicySyntaxError(`expected ${expected}, found ${found}`, token.line, token.column);
	}

	private isWord(word: string): boolean {
		const t = this.peek();
		return t.kind === "word" && t.text.toLowerCase() === word;
	}

	private keyword(word: string): void {
		if (!this.isWord(word)) this.fail(this.peek(), `"${word}"`);
		this.next();
	}

	private duration(what: string): number {
		const t = this.next();
		if (t.kind !== "duration") this.fail(t, `a duration for ${what} (e.g. 30s, 10m, 2h, 7d)`);
		if (t.value! <= 0) throw new PolicySyntaxError(`${what} must be longer than 0`, t.line, t.column);
		return t.value!;
	}

	private optionalDuration(what: string): number | undefined {
		return this.peek().kind === "duration" ? this.duration(what) : undefined;
	}

	parse(): PolicyRule {
		this.keyword("when");
		const event = this.next();
		if (event.kind !== "word") this.fail(event, "an event (e.g. tool.invoked, forums.post, any)");
		const rule: PolicyRule = { event: event.text, conditions: [], actions: [] };
		if (this.isWord("where")) {
			this.next();
			rule.conditions.push(this.condition());
			while (this.isWord("and") && !this.isCountAhead()) {
				this.next();
				rule.conditions.push(this.condition());
			}
		}
		if (this.isWord("count")) {
			this.next();
			const op = this.next();
			if (op.kind !== "op" || op.text === "~") this.fail(op, "a comparison (>, >=, =, <, <=, !=)");
			const n = this.next();
			if (n.kind !== "number" || !Number.isInteger(n.value)) this.fail(n, "a whole number");
			this.keyword("within");
			const at = this.peek();
			const windowMs = this.duration("the window");
			if (windowMs > MAX_WINDOW_MS) throw new PolicySyntaxError("the window is at most 7d", at.line, at.column);
			rule.count = { op: op.text as Op, value: n.value!, windowMs };
		}
		this.keyword("then");
		rule.actions.push(this.action());
		while (this.isWord("and") || this.peek().kind === "comma") {
			this.next();
			rule.actions.push(this.action());
		}
		const rest = this.peek();
		if (rest.kind !== "end") this.fail(rest, '"and" and another action, or the end of the policy');
		return rule;
	}

	/** `and count …` is not a condition: `where a = 1 and count > 3 …` reads naturally. */
	private isCountAhead(): boolean {
		const t = this.tokens[this.pos + 1];
		return t?.kind === "word" && t.text.toLowerCase() === "count";
	}

	private condition(): Condition {
		const field = this.next();
		if (field.kind !== "word") this.fail(field, `a field (${FIELDS.join(", ")}, data.<key>)`);
		if (!FIELDS.includes(field.text) && !/^data\.\w+$/.test(field.text)) {
			throw new PolicySyntaxError(`unknown field "${field.text}" (known: ${FIELDS.join(", ")}, data.<key>)`, field.line, field.column);
		}
		const op = this.next();
		if (op.kind !== "op") this.fail(op, "an operator (=, !=, >, >=, <, <=, ~)");
		const v = this.next();
		let value: Value;
		if (v.kind === "string") value = v.text;
		else if (v.kind === "number") value = v.value!;
		else if (v.kind === "word" && (v.text === "true" || v.text === "false")) value = v.text === "true";
		else this.fail(v, 'a value: "text", a number, true or false');
		return { field: field.text, op: op.text as Op, value };
	}

	private action(): PolicyAction {
		const t = this.next();
		const word = t.kind === "word" ? t.text.toLowerCase() : "";
		switch (word) {
			case "open":
			case "open_case": {
				if (word === "open") this.keyword("case");
				const reason = this.peek().kind === "string" ? this.next().text : undefined;
				return reason ? { kind: "open_case", reason } : { kind: "open_case" };
			}
			case "warn":
				return { kind: "warn" };
			case "throttle": {
				const durationMs = this.duration("throttle");
				if (!this.isWord("rate")) return { kind: "throttle", durationMs };
				this.next();
				const n = this.next();
				if (n.kind !== "number" || !Number.isInteger(n.value) || n.value! < 1) this.fail(n, "a rate: calls a minute, a whole number ≥ 1");
				return { kind: "throttle", durationMs, ratePerMinute: n.value };
			}
			case "quarantine":
			case "ban": {
				const durationMs = this.optionalDuration(word);
				return durationMs ? { kind: word, durationMs } : { kind: word };
			}
			default:
				return this.fail(t, "an action (open case, warn, throttle <duration>, quarantine, ban)");
		}
	}
}

/** A duration as policies write it (30s, 10m, 2h, 7d) in milliseconds, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
	const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
	return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** Parses a policy's source; throws PolicySyntaxError with the line and column of the first problem. */
export function parsePolicy(source: string): PolicyRule {
	return new Parser(tokenize(source)).parse();
}
