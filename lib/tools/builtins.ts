import { CardCache } from "./a2a/card-cache";
import type { RemoteAgentStore } from "./a2a/remote-agent-store";
import { a2aGetTaskTool, a2aSendTool } from "./builtin/a2a-send";
import { browserSnapshotTool } from "./builtin/browser-snapshot";
import { fileListTool, fileReadTool, fileWriteTool } from "./builtin/file-tools";
import { httpFetchTool } from "./builtin/http-fetch";
import { repoSummaryTool } from "./builtin/repo-summary";
import { shellExecTool } from "./builtin/shell-exec";
import type { ToolDefinition, ToolPolicy } from "./tool";

/** The tools every node offers, under its allowlists. */
export function builtinTools(policy: ToolPolicy, remotes?: Pick<RemoteAgentStore, "get" | "tokenOf">): ToolDefinition[] {
	const cards = new CardCache();
	return [
		httpFetchTool(policy),
		fileReadTool(policy),
		fileWriteTool(policy),
		fileListTool(policy),
		shellExecTool(policy),
		repoSummaryTool(policy),
		browserSnapshotTool(policy),
		a2aSendTool(policy, { remotes, cards }),
		a2aGetTaskTool(policy, { remotes, cards })
	];
}
