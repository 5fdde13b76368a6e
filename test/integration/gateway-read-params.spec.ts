import { post } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";

interface ErrorAnswer {
	error: { type: string; message: string; data?: unknown };
}

/**
 * What the second review sent that still answered 500: moleculer-db's read params
 * (`fields`, `excludeFields`, `populate`, and `query` on `GET /:id`) and a body whose
 * Content-Encoding it does not have.
 */
describe("read params and body encodings the gateway refuses by name", () => {
	let t: TestNode;
	let forumId: string;
	beforeAll(async () => {
		t = await startTestNode();
		await t.node.ready;
		forumId = (await post<{ id: string }>(t, "/api/v1/forums", { name: "params", description: "for the read params" })).body.id;
	}, 60_000);
	afterAll(() => t?.stop());

	const get = async (path: string) => {
		const res = await t.request(path);
		return { status: res.status, body: (await res.json()) as ErrorAnswer & Record<string, unknown> };
	};

	it.each(["fields=constructor", "fields=__proto__", "fields=name.constructor", "excludeFields=constructor", "populate=constructor", "fields[a]=1"])(
		"answers ?%s on a list and on one entity with 422 naming the param",
		async query => {
			for (const path of [`/api/v1/forums?${query}`, `/api/v1/forums/${forumId}?${query}`]) {
				const { status, body } = await get(path);
				expect({ path, status, type: body.error?.type }).toEqual({ path, status: 422, type: "VALIDATION_ERROR" });
				expect(body.error.message).toMatch(/fields|excludeFields|populate/);
			}
		}
	);

	it("still selects declared fields, dropping empty names; no names at all is every field", async () => {
		const { status, body } = await get(`/api/v1/forums/${forumId}?fields=name,,id`);
		expect(status).toBe(200);
		expect(body).toEqual({ id: forumId, name: "params" });
		for (const query of ["fields=", "fields[]="]) {
			for (const path of [`/api/v1/forums/${forumId}?${query}`, `/api/v1/forums?${query}`]) {
				const all = await get(path);
				expect({ path, status: all.status }).toEqual({ path, status: 200 });
				expect(JSON.stringify(all.body)).toContain('"description":"for the read params"');
			}
		}
	});

	it.each(["abc", "", "NaN", "[1]"])("answers GET /forums/:id?query=%j with 422, not a JSON parser's 500", async query => {
		const { status, body } = await get(`/api/v1/forums/${forumId}?query=${encodeURIComponent(query)}`);
		expect({ status, type: body.error?.type }).toEqual({ status: 422, type: "VALIDATION_ERROR" });
	});

	it.each(["gzip", "deflate", "br"])("answers a JSON body claiming Content-Encoding %s that it does not have with 400", async encoding => {
		const res = await t.request("/api/v1/forums", { method: "POST", headers: { "content-type": "application/json", "content-encoding": encoding }, body: '{"name":"x","description":"y"}' });
		expect(res.status).toBe(400);
		expect(((await res.json()) as ErrorAnswer).error.type).toBe("BAD_REQUEST");
	});
});
