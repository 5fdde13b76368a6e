import type { ActionSchema, Context, Service, ServiceSchema } from "moleculer";
import { Errors } from "moleculer";
import { FieldError } from "../lib/kernel/errors";
import DbService from "moleculer-db";
import { parseJsonInput } from "../lib/kernel/input-guard";
import { INT_MAX } from "../lib/schema/number-bounds";
import type { Kernel } from "../lib/kernel/kernel";
import type { Scope } from "../lib/security/capabilities";
import { KernelDbAdapter, type TableSpec } from "./kernel-db.adapter";
import { requiresDatabase } from "./requires-database.mixin";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * The mixin's actions as society and governance services expose them: `get` over REST
 * with `scope`, find/count inside the cluster only, and its generic writes off — each
 * service writes through actions of its own that check who may (spread, then override).
 * `get` says what it answers (its `description`), and whether agents get it as a tool.
 */
export function entityActions(scope: Scope, get: Required<Pick<ActionSchema, "description">> & Pick<ActionSchema, "tool">) {
	const off = false as const;
	return { get: { rest: "GET /:id", scope, ...get }, find: { visibility: "protected" as const }, count: { visibility: "protected" as const }, insert: off, update: off, remove: off, create: off };
}

/** What a change event carries: `<service>.changed` with `{change, entity}`. */
export interface EntityChange<T = Record<string, unknown>> {
	change: "created" | "updated" | "removed";
	entity: T;
}

export interface DbEntityOptions {
	/** List params copied into the adapter's `query`, e.g. `state` or `skills`. */
	filters?: string[];
}

type Entity = Record<string, unknown>;

/** What the mixin adds to `this` in a service's handlers (`defineService<Methods, DbMethods>`). */
export interface DbMethods {
	adapter: KernelDbAdapter;
	_create(ctx: Context, entity: Entity): Promise<Entity>;
	_update(ctx: Context, params: Entity & { id: string }): Promise<Entity>;
	_get(ctx: Context, params: { id: string }): Promise<Entity>;
	toEntity(row: Entity): Entity;
}

type ListParams = Record<string, unknown> & { query?: unknown };

/**
 * moleculer-db's service mixin. Its typings declare the default export a `Service` class;
 * at run time it is the mixin's schema, which is checked here rather than cast.
 */
function dbServiceMixin(): Partial<ServiceSchema> {
	const mixin: unknown = DbService;
	const isSchema = (value: unknown): value is Partial<ServiceSchema> => typeof value === "object" && value !== null && "actions" in value && "methods" in value;
	if (!isSchema(mixin)) throw new TypeError("moleculer-db no longer exports its service mixin as a schema");
	return mixin;
}

/** moleculer-db's paging numbers with the bounds it leaves out; a number id is no id (ids are uuids). */
const PAGING_BOUNDS: Record<string, Record<string, number>> = {
	list: { page: INT_MAX, pageSize: MAX_PAGE_SIZE },
	find: { limit: INT_MAX, offset: INT_MAX }
};

/** Once the mixins are merged: every number moleculer-db's actions take gets its `max` (number-bounds.ts). */
function boundPaging(schema: ServiceSchema): void {
	for (const [name, bounds] of Object.entries(PAGING_BOUNDS)) {
		const action = schema.actions?.[name];
		const params = action && typeof action === "object" ? (action.params as Record<string, Record<string, unknown>> | undefined) : undefined;
		for (const [field, max] of Object.entries(bounds)) if (params?.[field]) params[field] = { ...params[field], max };
	}
	const get = schema.actions?.get;
	const getParams = get && typeof get === "object" ? (get.params as Record<string, unknown> | undefined) : undefined;
	if (getParams?.id) getParams.id = [{ type: "string", max: 200 }, { type: "array", items: { type: "string", max: 200 }, max: MAX_PAGE_SIZE }];
}

/**
 * moleculer-db's service mixin (list/find/count/get/create/update/remove, pagination,
 * search) over the kernel's Database, for one table. Every change is broadcast as
 * `<service>.changed`, so other nodes, WebSocket subscribers and caches hear of it.
 * Until the database is migrated its actions answer a retryable 503.
 */
export function dbEntity(kernel: Kernel, spec: TableSpec, options: DbEntityOptions = {}): Partial<ServiceSchema> {
	const filters = options.filters ?? [];
	/** A `query` sent as text (REST) is JSON; a bad one is the caller's error, not a 500. */
	function normaliseQuery(ctx: Context<ListParams>): void {
		let query = ctx.params.query;
		if (typeof query === "string") {
			try {
				// Held to the input rules like a body: a deep or NUL-laden query is a 400 naming it.
				query = parseJsonInput(query);
			} catch (err) {
				if (err instanceof Errors.MoleculerClientError) throw err;
				query = undefined;
			}
			if (!query || typeof query !== "object" || Array.isArray(query)) {
				throw new FieldError("query", '"query" must be a JSON object');
			}
		}
		// A map without a prototype: the fields named by the request are its only keys.
		const merged: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, query ?? {});
		for (const f of filters) if (ctx.params[f] !== undefined) merged[f] = ctx.params[f];
		ctx.params = { ...ctx.params, query: merged };
	}
	const adapter = new KernelDbAdapter(() => kernel.db, spec);
	/** `fields`, `excludeFields` and `populate` name declared fields only (none named: as if absent); `get` reads a `query` too, so it must be JSON as well. */
	function checkFieldLists(ctx: Context<ListParams>): void {
		for (const param of ["fields", "excludeFields", "populate"]) {
			if (ctx.params[param] === undefined) continue;
			const names = adapter.fieldList(ctx.params[param], param);
			ctx.params = { ...ctx.params, [param]: names.length ? names : undefined };
		}
	}
	const checkRead = (ctx: Context<ListParams>) => {
		checkFieldLists(ctx);
		normaliseQuery(ctx);
	};
	const mixin = {
		mixins: [dbServiceMixin(), requiresDatabase(kernel)],
		merged: boundPaging,
		adapter,
		settings: { idField: "id", pageSize: DEFAULT_PAGE_SIZE, maxPageSize: MAX_PAGE_SIZE, maxLimit: MAX_PAGE_SIZE },
		hooks: { before: { list: checkRead, find: checkRead, count: checkRead, get: checkRead } },
		// Not cached: the cacher answers before the security middleware, which must see every
		// agent's call (sanctions), and reads must see writes made on other nodes at once.
		actions: { find: { cache: false }, count: { cache: false }, list: { cache: false }, get: { cache: false } },
		methods: {
			/** moleculer-db's hook after every create/update/remove: tell the cluster. */
			async entityChanged(this: Service, change: EntityChange["change"], entity: unknown): Promise<void> {
				await this.broker.broadcast(`${this.name}.changed`, { change, entity }).catch(() => undefined);
			},
			/** A row as the API shows it, for actions that write with SQL of their own. */
			toEntity(this: Service & { adapter: KernelDbAdapter }, row: Record<string, unknown>): Record<string, unknown> {
				return this.adapter.entityToObject(row);
			}
		}
	};
	return mixin as Partial<ServiceSchema>;
}
