import { changesTaskPage } from "../../dashboard/tasks/page-changes";

/** A task's page in the console reloads for the events that change what it shows, and not for others. */
describe("the console's task page and tasks.changed", () => {
	const parent = (status: "running" | "succeeded") => ({ status, children: [{ id: "child-1", agentId: "helper", status: "running" as const }] });

	it("reloads for the task itself, even before it has loaded", () => {
		expect(changesTaskPage(undefined, "t1", { id: "t1", status: "running" })).toBe(true);
		expect(changesTaskPage(undefined, "t1", { id: "t2", status: "running" })).toBe(false);
	});

	it("reloads for a child it lists, whatever the parent's status", () => {
		expect(changesTaskPage(parent("succeeded"), "t1", { id: "child-1", status: "succeeded" })).toBe(true);
	});

	it("reloads for a run starting while the task runs, which may be a new child, but not once the task has ended", () => {
		expect(changesTaskPage(parent("running"), "t1", { id: "child-2", status: "running" })).toBe(true);
		expect(changesTaskPage(parent("succeeded"), "t1", { id: "child-2", status: "running" })).toBe(false);
		expect(changesTaskPage(parent("running"), "t1", { id: "other", status: "succeeded" })).toBe(false);
	});
});
