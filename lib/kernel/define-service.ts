import type { Service, ServiceSchema, ServiceSettingSchema } from "moleculer";

/** Nothing beyond what is named: `this.anythingElse` is a compile error, not `any`. */
export type NoMembers = Record<never, never>;

/** `this` inside a service's actions, events, hooks, methods and lifecycle handlers. */
export type ServiceThis<M extends object = NoMembers, S extends object = ServiceSettingSchema> = Service<S> & M;

/** `methods` must define every member of M, with M's signatures; a service without methods may leave it out. */
type OwnMethods<M extends object, T> = keyof M extends never ? { methods?: ThisType<T> } : { methods: M & ThisType<T> };

/**
 * A service schema with a typed `this`. Moleculer's `ServiceSchema` defaults its methods
 * and vars to `Record<string, any>`, so every `this.x` type-checks as `any`; here M is
 * what the service's own `methods` define, X what its mixins add (e.g. `DbMethods`), S
 * its settings, and nothing else is on `this`.
 */
export type TypedServiceSchema<M extends object = NoMembers, X extends object = NoMembers, S extends object = ServiceSettingSchema> = ServiceSchema<S, M & X, NoMembers> &
	OwnMethods<M, ServiceThis<M & X, S>>;

/**
 * Checks a service schema against its typed `this`, then hands it on as the plain
 * `ServiceSchema` the broker, the gateway and the OpenAPI builder take (a list of
 * services holds many `this` types; the broker binds each handler to its own service).
 */
export function defineService<M extends object = NoMembers, X extends object = NoMembers, S extends object = ServiceSettingSchema>(schema: TypedServiceSchema<M, X, S>): ServiceSchema {
	return schema as ServiceSchema;
}
