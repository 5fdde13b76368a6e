import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ServiceBroker, type Context } from "moleculer";
import { defineService } from "../../lib/kernel/define-service";

/**
 * A service's `this` is typed: `npx tsc --noEmit -p .` (part of `npm run lint`) compiles
 * this file, and each `@ts-expect-error` below fails the build the day `this` falls
 * back to `any` — a misspelled method, setting or missing method would compile again.
 */
interface CounterMethods {
	bump(by: number): number;
}

interface CounterSettings {
	step: number;
}

function createCounterService() {
	let count = 0;
	return defineService<CounterMethods, { total(): number }, CounterSettings>({
		name: "counter",
		settings: { step: 2 },
		mixins: [{ methods: { total: () => count } }],
		actions: {
			add: {
				params: { times: { type: "number", integer: true, min: 1 } },
				handler(ctx: Context<{ times: number }>): number {
					for (let i = 0; i < ctx.params.times; i++) this.bump(this.settings.step);
					return this.total();
				}
			},
			misspelled: {
				handler(): number {
					// @ts-expect-error `bumb` is no method of the counter service.
					return this.bumb(1);
				}
			},
			wrongArgument: {
				handler(): number {
					// @ts-expect-error `bump` takes a number.
					return this.bump("1");
				}
			},
			unknownSetting: {
				handler(): number {
					// @ts-expect-error `stride` is no setting of the counter service.
					return this.settings.stride;
				}
			}
		},
		methods: {
			bump(by: number): number {
				count += by;
				return count;
			}
		}
	});
}

// @ts-expect-error `methods` must define every method its `this` promises.
defineService<CounterMethods>({ name: "broken", methods: {} });

const SERVICES = path.join(__dirname, "../../services");

describe("typed services", () => {
	it("builds every service in services/ with defineService, so none has an untyped this", () => {
		const files = readdirSync(SERVICES, { recursive: true, encoding: "utf8" }).filter(f => f.endsWith(".service.ts"));
		expect(files.length).toBeGreaterThan(20);
		const untyped = files.filter(f => !/\bdefineService[<(]/.test(readFileSync(path.join(SERVICES, f), "utf8")));
		expect(untyped).toEqual([]);
	});

	const broker = new ServiceBroker({ logger: false, transporter: null, cacher: null });
	beforeAll(async () => {
		broker.createService(createCounterService());
		await broker.start();
	});
	afterAll(() => broker.stop());

	it("runs a handler whose `this` reaches its methods, its mixin's methods and its settings", async () => {
		await expect(broker.call("counter.add", { times: 3 })).resolves.toBe(6);
		await expect(broker.call("counter.add", { times: 1 })).resolves.toBe(8);
	});
});
