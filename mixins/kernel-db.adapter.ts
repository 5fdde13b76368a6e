import { FieldError } from "../lib/kernel/errors";
import type { Database, SqlParam } from "../lib/kernel/database";

/** How a column is read and written: JSON columns are serialised, numerics come back as numbers, times as ISO strings. */
export type ColumnType = "text" | "number" | "boolean" | "time" | "json" | "text[]";

/** One table as an entity: fields are camelCase, columns their snake_case. */
export interface TableSpec {
	table: string;
	/** Entity field → column type. The id field is `id`. */
	columns: Readonly<Record<string, ColumnType>>;
	/** Fields `search` looks in when the caller names none. */
	searchFields?: readonly string[];
	/** Order when the caller gives no `sort`, e.g. "-createdAt". */
	defaultSort?: string;
}

/** What moleculer-db hands an adapter for find/count. */
export interface FindParams {
	limit?: number | null;
	offset?: number | null;
	sort?: string | string[];
	search?: string;
	searchFields?: string | string[];
	query?: Record<string, unknown>;
}

type Entity = Record<string, unknown>;
type Update = { $set?: Entity } & Entity;

const snake = (field: string) => field.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** 422 naming the field, as validation errors do. */
function badField(field: string, message: string): FieldError {
	return new FieldError(field, message);
}

/**
 * moleculer-db's adapter over the kernel's Database (PGlite or PostgreSQL), for every
 * society and governance entity. Only declared fields reach SQL (always as parameters),
 * so a `query` or `sort` from a request cannot name anything else. The kernel owns the
 * connection: connect() does not wait for it (services answer 503 until it is ready).
 */
export class KernelDbAdapter {
	constructor(
		private readonly db: () => Database,
		readonly spec: TableSpec
	) {}

	init(): void {}

	connect(): Promise<void> {
		return Promise.resolve();
	}

	disconnect(): Promise<void> {
		return Promise.resolve();
	}

	async find(params: FindParams = {}): Promise<Entity[]> {
		const sql: SqlParam[] = [];
		const where = this.where(params, sql);
		let text = `SELECT * FROM ${this.spec.table}${where} ORDER BY ${this.order(params.sort)}`;
		if (params.limit != null) text += ` LIMIT $${sql.push(Number(params.limit))}`;
		if (params.offset != null) text += ` OFFSET $${sql.push(Number(params.offset))}`;
		return (await this.db().query<Entity>(text, sql)).rows;
	}

	async findOne(query: Entity): Promise<Entity | undefined> {
		return (await this.find({ query, limit: 1 }))[0];
	}

	async findById(id: unknown): Promise<Entity | undefined> {
		if (!isUuidLike(id)) return undefined;
		return (await this.db().query<Entity>(`SELECT * FROM ${this.spec.table} WHERE id = $1`, [String(id)])).rows[0];
	}

	async findByIds(ids: unknown[]): Promise<Entity[]> {
		const valid = ids.filter(isUuidLike).map(String);
		if (valid.length === 0) return [];
		return (await this.db().query<Entity>(`SELECT * FROM ${this.spec.table} WHERE id = ANY($1::uuid[])`, [valid])).rows;
	}

	async count(params: FindParams = {}): Promise<number> {
		const sql: SqlParam[] = [];
		const { rows } = await this.db().query<{ n: string }>(`SELECT count(*) AS n FROM ${this.spec.table}${this.where(params, sql)}`, sql);
		return Number(rows[0].n);
	}

	async insert(entity: Entity): Promise<Entity> {
		const fields = Object.keys(entity).filter(f => entity[f] !== undefined && this.isColumn(f));
		const sql = fields.map(f => this.toColumn(f, entity[f]));
		const columns = fields.map(snake).join(", ");
		const values = fields.map((_, i) => `$${i + 1}`).join(", ");
		const text = fields.length ? `INSERT INTO ${this.spec.table} (${columns}) VALUES (${values}) RETURNING *` : `INSERT INTO ${this.spec.table} DEFAULT VALUES RETURNING *`;
		return (await this.db().query<Entity>(text, sql)).rows[0];
	}

	async insertMany(entities: Entity[]): Promise<Entity[]> {
		const rows: Entity[] = [];
		for (const entity of entities) rows.push(await this.insert(entity));
		return rows;
	}

	async updateById(id: unknown, update: Update): Promise<Entity | undefined> {
		if (!isUuidLike(id)) return undefined;
		const sql: SqlParam[] = [String(id)];
		const sets = this.sets(update, sql);
		if (!sets) return this.findById(id);
		return (await this.db().query<Entity>(`UPDATE ${this.spec.table} SET ${sets} WHERE id = $1 RETURNING *`, sql)).rows[0];
	}

	async updateMany(query: Entity, update: Update): Promise<number> {
		const sql: SqlParam[] = [];
		const sets = this.sets(update, sql);
		if (!sets) return 0;
		return (await this.db().query(`UPDATE ${this.spec.table} SET ${sets}${this.where({ query }, sql)}`, sql)).rowCount;
	}

	async removeById(id: unknown): Promise<Entity | undefined> {
		if (!isUuidLike(id)) return undefined;
		return (await this.db().query<Entity>(`DELETE FROM ${this.spec.table} WHERE id = $1 RETURNING *`, [String(id)])).rows[0];
	}

	async removeMany(query: Entity): Promise<number> {
		const sql: SqlParam[] = [];
		return (await this.db().query(`DELETE FROM ${this.spec.table}${this.where({ query }, sql)}`, sql)).rowCount;
	}

	async clear(): Promise<number> {
		return (await this.db().query(`DELETE FROM ${this.spec.table}`)).rowCount;
	}

	/** A row as the API shows it: camelCase, numbers as numbers, times in ISO 8601. */
	entityToObject(row: Entity): Entity {
		const out: Entity = {};
		for (const [column, value] of Object.entries(row)) {
			const field = camel(column);
			const type = this.isColumn(field) ? this.spec.columns[field] : undefined;
			if (value === null || value === undefined) out[field] = null;
			else if (type === "number") out[field] = Number(value);
			else if (type === "time") out[field] = new Date(value as string).toISOString();
			else out[field] = value;
		}
		return out;
	}

	beforeSaveTransformID(entity: Entity): Entity {
		return entity;
	}

	afterRetrieveTransformID(entity: Entity): Entity {
		return entity;
	}

	/**
	 * A list of field names from a request (`?fields=a,b`, `fields[]=a`), each one this entity
	 * declares, for moleculer-db's `fields`, `excludeFields` and `populate`; empty names are
	 * dropped. Anything else is a 422 naming the param — moleculer-db would read `fields=` or
	 * `fields=constructor` as paths into each row and fail or answer empty rows.
	 */
	fieldList(value: unknown, param: string): string[] {
		const names = typeof value === "string" ? value.split(/[,\s]+/) : Array.isArray(value) && value.every(v => typeof v === "string") ? (value as string[]) : undefined;
		if (!names) throw badField(param, `"${param}" must be field names, separated by commas`);
		const wanted = names.filter(Boolean);
		for (const field of wanted) this.column(field, `select "${param}"`);
		return wanted;
	}

	/** A declared field: an own key of the spec, so `constructor` or `__proto__` from a request is no field. */
	private isColumn(field: string): boolean {
		return Object.hasOwn(this.spec.columns, field);
	}

	private column(field: string, what: string): string {
		if (field !== "id" && !this.isColumn(field)) {
			throw badField(field, `Cannot ${what} by "${field}"; known fields: ${["id", ...Object.keys(this.spec.columns)].join(", ")}`);
		}
		return snake(field);
	}

	private toColumn(field: string, value: unknown): SqlParam {
		if (value === null || value === undefined) return null;
		if (this.spec.columns[field] === "json") return JSON.stringify(value);
		return value as SqlParam;
	}

	private where(params: FindParams, sql: SqlParam[]): string {
		const conditions: string[] = [];
		for (const [field, value] of Object.entries(params.query ?? {})) {
			if (value === undefined) continue;
			const column = this.column(field, "filter");
			if (value === null) conditions.push(`${column} IS NULL`);
			else if (this.spec.columns[field] === "text[]") conditions.push(`$${sql.push(String(value))} = ANY(${column})`);
			else if (Array.isArray(value)) conditions.push(`${column}::text = ANY($${sql.push(value.map(String))}::text[])`);
			else if (typeof value === "object") throw badField(field, `The filter on "${field}" must be a value or a list of values`);
			else conditions.push(`${column} = $${sql.push(value as SqlParam)}`);
		}
		if (params.search) {
			const named = typeof params.searchFields === "string" ? params.searchFields.split(/[,\s]+/) : params.searchFields;
			const fields: readonly string[] = named?.length ? named : (this.spec.searchFields ?? []);
			if (fields.length) {
				const p = `$${sql.push(`%${params.search.replace(/[\\%_]/g, "\\$&")}%`)}`;
				conditions.push(`(${fields.map(f => `${this.column(f, "search")}::text ILIKE ${p}`).join(" OR ")})`);
			}
		}
		return conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
	}

	private order(sort: string | string[] | undefined): string {
		const wanted = (Array.isArray(sort) ? sort : sort ? sort.split(/[,\s]+/) : []).filter(Boolean);
		const fields = wanted.length ? wanted : [this.spec.defaultSort ?? "-createdAt"];
		return [...fields.map(f => (f.startsWith("-") ? `${this.column(f.slice(1), "sort")} DESC` : `${this.column(f, "sort")} ASC`)), "id"].join(", ");
	}

	private sets(update: Update, sql: SqlParam[]): string {
		const values = update.$set ?? update;
		const fields = Object.keys(values).filter(f => f !== "id" && f !== "$set" && values[f] !== undefined);
		const sets = fields.map(f => `${this.column(f, "update")} = $${sql.push(this.toColumn(f, values[f]))}`);
		if (sets.length && this.isColumn("updatedAt") && !fields.includes("updatedAt")) sets.push("updated_at = now()");
		return sets.join(", ");
	}
}

/** Ids are uuids: anything else cannot match, and must not reach PostgreSQL as a uuid cast error (a 500). */
function isUuidLike(id: unknown): boolean {
	return typeof id === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
