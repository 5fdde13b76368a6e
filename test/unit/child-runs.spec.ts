import { childRunId, uuidV5 } from "../../actors/child-runs";

describe("child run ids", () => {
	it("are RFC 9562 UUIDv5: the published example of the DNS namespace", () => {
		expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
	});

	it("name the same child for the same parent step, and another for another step or parent", () => {
		const taskId = "8c0f4f3e-3b1a-4a53-9a43-1f2b3c4d5e6f";
		const id = childRunId({ taskId, step: 3 });
		expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(childRunId({ taskId, step: 3 })).toBe(id);
		expect(childRunId({ taskId, step: 4 })).not.toBe(id);
		expect(childRunId({ taskId: "9c0f4f3e-3b1a-4a53-9a43-1f2b3c4d5e6f", step: 3 })).not.toBe(id);
	});
});
