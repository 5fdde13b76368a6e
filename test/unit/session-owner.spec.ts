import { sessionOwnerFor } from "../../lib/memory/session-owner";

/** Whose chat session a call reaches, by who calls and how. */
describe("a chat session's owner", () => {
	it("is a person's own token, whatever session they name", () => {
		expect(sessionOwnerFor({ kind: "user", id: "token:4f2a" }, true, undefined, "keeper")).toBe("token:4f2a");
		expect(sessionOwnerFor({ kind: "user", id: "admin" }, true, undefined, "keeper")).toBe("admin");
	});

	it("may not be named by a person through the gateway, not even the admin: 422 naming the field and the support route", () => {
		for (const id of ["token:b0b", "admin"]) {
			expect(() => sessionOwnerFor({ kind: "user", id }, true, "token:4f2a", "keeper")).toThrow(
				expect.objectContaining({ type: "MEMORY_INVALID", code: 422, data: expect.objectContaining({ field: "owner" }), message: expect.stringContaining("/api/v1/agents/keeper/all-sessions/") })
			);
		}
	});

	it("is whom an agent names (its loop names the task's caller), else the agent itself", () => {
		expect(sessionOwnerFor({ kind: "agent", id: "keeper" }, false, "token:4f2a", "keeper")).toBe("token:4f2a");
		expect(sessionOwnerFor({ kind: "agent", id: "keeper" }, false, undefined, "keeper")).toBe("agent:keeper");
	});

	it("inside the cluster is `system`, or whom the operator names", () => {
		expect(sessionOwnerFor({ kind: "system", id: "node-1" }, false, undefined, "keeper")).toBe("system");
		expect(sessionOwnerFor({ kind: "user", id: "ops" }, false, "token:4f2a", "keeper")).toBe("token:4f2a");
	});
});
