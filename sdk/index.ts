/**
 * The AgentOS SDK: what agent authors import. Named exports only, so everything listed
 * here is public API and nothing else leaks out.
 */

// Manifest signing: sign the manifest as you wrote it; the runtime verifies that same raw form.
export { canonicalJson } from "../lib/kernel/canonical-json";
export { signManifest, verifyManifest } from "../actors/manifest-signature";

export type { AgentLimits, AgentManifest, RestartPolicy, TaskTypeSpec, TrustLevel } from "../actors/manifest-types";

// Writing an agent: `module.exports = defineAgent({ onStart, onTask, onMessage, onStop })`.
export { defineAgent } from "../actors/agent-api";
export type { AgentContext, AgentDefinition, AgentTask, Caller, HumanDecision, TaskInfo } from "../actors/agent-api";

// Talking to a running node from outside it: scripts, dashboards, the `agent-os` CLI.
export { AgentOSApiError, AgentOSHttpClient } from "./http-client";
export type { AgentChatAnswer, AgentChatEvent, AgentOSHttpClientOptions, AgentView, ApiToken, AuditFilters, AuditRecord, AuditVerifyResult, LiveAuditEntry, NodeInfo, Page, Scope, TaskOutcome, TaskPage, TaskRecord, TaskSummary } from "./http-client";
// Tasks and their durable runs: `client.tasks.get|cancel|resume` (README #durable-tasks).
export type { JournalStep, RunWait, StepError, TaskChange, TaskDetail, TaskQuery, TaskStatus } from "./http-client";

// Agents' memories over REST: `new AgentOSHttpClient(…).memory`.
export { MemoryClient } from "./memory";
export type { HistoryWindow, Memory, MemoryScope, MemoryType, NewMemory, RankedHit } from "./memory";
// Society and governance over REST: `new AgentOSHttpClient(…).society`.
export { SocietyClient } from "./society";
export type { DirectoryEntry, EntityPage, Forum, ForumPost, Job, Lockdown, Paged, Sanction } from "./society";

// The cluster and its scheduled jobs over REST: `new ClusterClient((m, p, b) => client.request(m, p, b))`.
export { ClusterClient } from "./cluster";
export type { ClusterNodeView, ClusterStatus, CreateScheduleParams, RunView, ScheduleTarget, ScheduleView } from "./cluster";

// Joining the cluster through its transporter, with no gateway in between.
export { AgentOSClient } from "./broker-client";
export type { AgentOSClientOptions } from "./broker-client";
