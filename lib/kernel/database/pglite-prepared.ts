import { parse, protocol, type PGlite } from "@electric-sql/pglite";
import type { QueryResult, SqlParam } from "./database";

const { serialize } = protocol;

/** Statements kept prepared at most; the oldest is closed when one more is needed. */
const MAX_STATEMENTS = 64;
/**
 * Errors after which the statement is prepared again, once: a table under a `SELECT *`
 * changed since ("cached plan must not change result type"), or somebody's `DEALLOCATE`.
 */
const STALE = new Set(["0A000", "26000"]);

interface Statement {
	name: string;
	/** The type of each parameter, as the server inferred it: how a value is written. */
	types: number[];
	/** The columns of its rows (none for a write without RETURNING), read once when it was prepared. */
	columns: Message[];
}

type Message = Awaited<ReturnType<PGlite["execProtocolStream"]>>[number];

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

/**
 * Statements PGlite keeps parsed and planned, run in one exchange with the database instead
 * of PGlite's six (parse, describe, bind, describe, execute, sync for every query): a hot
 * write such as a durable run's journal row costs about 40% less. Values are written as
 * PGlite's own `query` writes them (its serializer for the parameter's type), rows read
 * with its parsers, and each call holds PGlite's locks as `query` does, so it never runs
 * inside somebody else's transaction.
 */
export class PglitePrepared {
	private readonly statements = new Map<string, Statement>();
	private made = 0;

	constructor(private readonly pg: PGlite) {}

	query<Row>(sql: string, params: readonly SqlParam[]): Promise<QueryResult<Row>> {
		return this.pg._runExclusiveTransaction(() => this.pg._runExclusiveQuery(() => this.run<Row>(sql, params, true)));
	}

	private async run<Row>(sql: string, params: readonly SqlParam[], mayReprepare: boolean): Promise<QueryResult<Row>> {
		const statement = this.statements.get(sql) ?? (await this.prepare(sql));
		const values = params.map((param, i) => {
			if (param === null || param === undefined) return null;
			const write = this.pg.serializers[statement.types[i]];
			return write ? (write(param) as string) : String(param);
		});
		try {
			// Streamed: the messages are read as they come, without PGlite's copy of the raw answer.
			const messages = await this.pg.execProtocolStream(concat([serialize.bind({ statement: statement.name, values }), serialize.execute({}), serialize.sync()]));
			const result = parse.parseResults([...statement.columns, ...messages], this.pg.parsers)[0];
			return { rows: result.rows as Row[], rowCount: result.affectedRows ?? result.rows.length };
		} catch (err) {
			if (!mayReprepare || !STALE.has(String((err as { code?: unknown }).code))) throw err;
			await this.close(sql);
			return this.run<Row>(sql, params, false);
		}
	}

	private async prepare(sql: string): Promise<Statement> {
		if (this.statements.size >= MAX_STATEMENTS) await this.close(this.statements.keys().next().value as string);
		const name = `agentos_${++this.made}`;
		const messages = await this.pg.execProtocolStream(concat([serialize.parse({ name, text: sql }), serialize.describe({ type: "S", name }), serialize.sync()]), { syncToFs: false });
		const statement = { name, types: parse.parseDescribeStatementResults(messages), columns: messages.filter(m => m.name === "rowDescription") };
		this.statements.set(sql, statement);
		return statement;
	}

	private async close(sql: string): Promise<void> {
		const statement = this.statements.get(sql);
		if (!statement) return;
		this.statements.delete(sql);
		await this.pg.execProtocolStream(concat([serialize.close({ type: "S", name: statement.name }), serialize.sync()]), { syncToFs: false });
	}
}
