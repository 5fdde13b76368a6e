import { Validators, type ActionHandler, type ActionSchema, type Context, type Middleware, type ServiceBroker } from "moleculer";
import { inputProblem, MAX_JSON_DEPTH } from "./input-guard";
import { dropNullOptionals } from "./null-optionals";

/**
 * The broker's validator: fastest-validator, with the input rules (input-guard.ts) checked
 * first on every local action's params — with or without a params schema — so that REST,
 * WebSocket, SDK broker clients and agents' calls all meet them in one place, where the
 * action runs. It sits where Moleculer puts validation: inside the circuit breaker (a 400
 * is the caller's fault, never the service's) and before the action's hooks and handler,
 * so fastest-validator never sees (nor echoes back in its errors) a value nested too deep.
 * A null for an optional field that is not nullable reaches the handler as absent.
 */
export class GuardedValidator extends Validators.Fastest {
	constructor(private readonly maxDepth = MAX_JSON_DEPTH) {
		// fastest-validator's own text put the allowed values where the value sent belongs ("field value 'a, b' does not match").
		super({ messages: { enumValue: "The '{field}' field must be one of: {expected} (got '{actual}')." } });
	}

	override middleware(broker: ServiceBroker): Middleware {
		const validation = super.middleware(broker) as Middleware;
		const validate = validation.localAction!;
		const maxDepth = this.maxDepth;
		return {
			...validation,
			name: "Validator",
			localAction(this: ServiceBroker, next: ActionHandler, action: ActionSchema): ActionHandler {
				const validated = validate.call(this, next, action);
				const schema = action.params as Record<string, unknown> | undefined;
				return function guardInput(ctx: Context) {
					const problem = inputProblem(ctx.params, maxDepth);
					if (problem) return Promise.reject(problem);
					ctx.params = dropNullOptionals(ctx.params, schema);
					return validated.call(this, ctx);
				};
			}
		};
	}
}
