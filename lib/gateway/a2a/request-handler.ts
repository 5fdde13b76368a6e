import type { AgentCard, CancelTaskRequest, Task } from "@a2a-js/sdk";
import { DefaultExecutionEventBusManager, DefaultRequestHandler, type ServerCallContext, type TaskStore } from "@a2a-js/sdk/server";
import type { AgentOsExecutor } from "./executor";

/**
 * The SDK's request handler for one agent, with CancelTask handed to AgentOS's cancel path
 * (AgentOsExecutor.cancelling): the SDK's executor hook gets no request, so who cancels
 * would be lost, and a task its executor does not run would only be marked cancelled in
 * the protocol's record, its run going on.
 */
export class AgentOsRequestHandler extends DefaultRequestHandler {
	constructor(
		card: AgentCard,
		store: TaskStore,
		private readonly runner: AgentOsExecutor
	) {
		super(card, store, runner, new DefaultExecutionEventBusManager());
	}

	override cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
		return this.runner.cancelling(params.id, context, () => super.cancelTask(params, context));
	}
}
