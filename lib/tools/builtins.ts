import { browserSnapshotTool } from "./builtin/browser-snapshot";
import { fileListTool, fileReadTool, fileWriteTool } from "./builtin/file-tools";
import { httpFetchTool } from "./builtin/http-fetch";
import { repoSummaryTool } from "./builtin/repo-summary";
import { shellExecTool } from "./builtin/shell-exec";
import type { ToolDefinition, ToolPolicy } from "./tool";

/** The tools every node offers, under its allowlists. */
export function builtinTools(policy: ToolPolicy): ToolDefinition[] {
	return [httpFetchTool(policy), fileReadTool(policy), fileWriteTool(policy), fileListTool(policy), shellExecTool(policy), repoSummaryTool(policy), browserSnapshotTool(policy)];
}
