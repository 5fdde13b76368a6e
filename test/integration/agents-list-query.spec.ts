import { startTestNode, type TestNode } from "../support/test-node";

interface Listed {
	items: { id: string; name: string; state: string }[];
	total: number;
}

/** GET /api/v1/agents?q=&sort=: the console's agent search and sorting, done by the database over every page. */
describe("finding and sorting agents", () => {
	let t: TestNode;
	const spawn = (id: string, name: string) =>
		t.request("/api/v1/agents", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ manifest: { id, name, instructions: "Answer briefly.", memory: { recall: 0 } } }) });

	beforeAll(async () => {
		t = await startTestNode();
		await t.node.ready;
		for (const [id, name] of [["alpha-1", "Zebra keeper"], ["beta-2", "Apple picker"], ["gamma-3", "Mango 100% sorter"]]) expect((await spawn(id, name)).status).toBe(201);
	});
	afterAll(() => t?.stop());

	const ids = async (query: string) => (await t.json<Listed>(`/api/v1/agents?${query}`)).items.map(a => a.id);

	it("finds a part of the id or the name, in any case, counting only the matches", async () => {
		expect(await ids("q=BETA")).toEqual(["beta-2"]);
		expect(await ids("q=zebra")).toEqual(["alpha-1"]);
		expect((await t.json<Listed>("/api/v1/agents?q=a&limit=1")).total).toBe(3);
		// % is a character to find, not a wildcard.
		expect(await ids("q=100%25")).toEqual(["gamma-3"]);
		expect(await ids("q=%25")).toEqual(["gamma-3"]);
		expect(await ids("q=nothing-like-this")).toEqual([]);
	});

	it("sorts by name or id, either way, across pages", async () => {
		expect(await ids("sort=name")).toEqual(["beta-2", "gamma-3", "alpha-1"]);
		expect(await ids("sort=-name")).toEqual(["alpha-1", "gamma-3", "beta-2"]);
		expect(await ids("sort=-id&limit=2&offset=1")).toEqual(["beta-2", "alpha-1"]);
		const bad = await t.request("/api/v1/agents?sort=owner");
		expect(bad.status).toBe(422);
	});
});
