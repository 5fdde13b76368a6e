import type { Readable } from "node:stream";
import { Errors, ServiceBroker } from "moleculer";
import { jsonLines } from "../../lib/kernel/json-lines";
import { loadConfig } from "../../lib/kernel/config";
import { createBrokerOptions } from "../../moleculer.config";
import createChatService from "../../services/chat.service";

/** An error in the middle of a streamed chat is shown as every other error answer: an internal one's text never reaches the client. */
describe("errors in a streamed chat with an agent", () => {
	let broker: ServiceBroker;
	let failure: unknown;
	beforeAll(async () => {
		broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({ LOG_LEVEL: "error" })), logger: false, transporter: null, cacher: null });
		broker.createService(createChatService());
		broker.createService({
			name: "agents",
			actions: {
				submitTask() {
					throw failure;
				}
			}
		});
		await broker.start();
	});
	afterAll(() => broker?.stop());

	const errorLine = async () => {
		const lines: Array<{ type: string; error?: { type: string; message: string; code?: number } }> = [];
		for await (const line of jsonLines<(typeof lines)[number]>((await broker.call("chat.stream", { id: "scout", message: "hi" })) as Readable)) lines.push(line);
		return lines.find(l => l.type === "error")?.error;
	};

	it("answers a bug as INTERNAL_ERROR with a request id, without its text", async () => {
		failure = new TypeError("Cannot read properties of undefined (reading 'secret_column')");
		const error = await errorLine();
		expect(error).toMatchObject({ type: "INTERNAL_ERROR", code: 500 });
		expect(JSON.stringify(error)).not.toContain("secret_column");
	});

	it("answers an error the code meant as it is, with its status", async () => {
		failure = new Errors.MoleculerClientError("Agent scout not found", 404, "AGENT_NOT_FOUND", { agentId: "scout" });
		expect(await errorLine()).toEqual({ type: "AGENT_NOT_FOUND", code: 404, message: "Agent scout not found", data: { agentId: "scout" } });
	});
});
