import { AgentCard, type AgentSkill, type SecurityRequirement, type SecurityScheme } from "@a2a-js/sdk";
import type { AgentManifest } from "../../../actors/manifest-types";

/** Where an agent's A2A endpoint is, below the node's base URL. */
export function a2aPath(agentId: string): string {
	return `/a2a/${encodeURIComponent(agentId)}`;
}

const MODES = ["text/plain", "application/json"];

/** Every A2A call carries the same bearer token as the REST API. */
const SECURITY_SCHEMES: Record<string, SecurityScheme> = {
	bearer: {
		scheme: {
			$case: "httpAuthSecurityScheme",
			value: { scheme: "bearer", bearerFormat: "AgentOS API token", description: "An AgentOS API token with the tasks scope (Authorization: Bearer <token>)." }
		}
	}
};
const SECURITY: SecurityRequirement[] = [{ schemes: { bearer: { list: [] } } }];

function skill(id: string, name: string, description: string, examples: string[] = []): AgentSkill {
	return { id, name, description, tags: [id], examples, inputModes: MODES, outputModes: MODES, securityRequirements: [] };
}

/**
 * A declarative agent chats; a code agent takes the task types its manifest lists, each
 * a skill whose description carries the type's JSON Schema (sent as a data part, or as
 * JSON text). Without task types a code agent takes any `{type, ...}` task, and text as a
 * `chat` task.
 */
function skills(manifest: AgentManifest): AgentSkill[] {
	const chat = skill("chat", "Chat", `Send text; ${manifest.name} answers with text. The message's contextId is the chat session.`, ["Hello!"]);
	if (manifest.runtime === "declarative") return [chat];
	const types = Object.entries(manifest.taskTypes ?? {});
	if (!types.length) return [skill("task", "Task", "Send a data part {type, ...} (or the same JSON as text); the answer is the task's result as a data artifact.", ['{"type":"…"}']), chat];
	return types.map(([type, spec]) => {
		const schema = spec.schema ? ` Input (JSON Schema): ${JSON.stringify(spec.schema)}` : "";
		return skill(type, type, `${spec.description ?? `Task type ${type}`}. Send a data part {"type":"${type}", ...}.${schema}`, [JSON.stringify({ type })]);
	});
}

/** An agent's Agent Card (A2A v1.0 JSON), for `/a2a/<id>/.well-known/agent-card.json`. */
export function buildAgentCard(manifest: AgentManifest, baseUrl: string): AgentCard {
	const url = `${baseUrl}${a2aPath(manifest.id)}`;
	return {
		name: manifest.name,
		description: manifest.description ?? `${manifest.name}, an AgentOS ${manifest.runtime === "declarative" ? "declarative" : "code"} agent`,
		supportedInterfaces: [
			{ url, protocolBinding: "JSONRPC", protocolVersion: "1.0", tenant: "" },
			{ url, protocolBinding: "JSONRPC", protocolVersion: "0.3", tenant: "" }
		],
		provider: { organization: "AgentOS", url: baseUrl },
		version: manifest.version,
		capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
		securitySchemes: SECURITY_SCHEMES,
		securityRequirements: SECURITY,
		defaultInputModes: MODES,
		defaultOutputModes: MODES,
		skills: skills(manifest),
		signatures: []
	};
}

/**
 * The node's card (`/.well-known/agent-card.json`): a directory, one skill per agent
 * naming the agent's own card; its interface is the first agent's, if any.
 */
export function buildNodeCard(manifests: AgentManifest[], baseUrl: string, version: string): AgentCard {
	return {
		name: "AgentOS",
		description: `The agents of this AgentOS node; each has its own card at ${baseUrl}/a2a/<id>/.well-known/agent-card.json`,
		supportedInterfaces: manifests.slice(0, 1).map(m => ({ url: `${baseUrl}${a2aPath(m.id)}`, protocolBinding: "JSONRPC", protocolVersion: "1.0", tenant: "" })),
		provider: { organization: "AgentOS", url: baseUrl },
		version,
		capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
		securitySchemes: SECURITY_SCHEMES,
		securityRequirements: SECURITY,
		defaultInputModes: MODES,
		defaultOutputModes: MODES,
		skills: manifests.map(m =>
			skill(m.id, m.name, `${m.description ?? m.name}. Card: ${baseUrl}${a2aPath(m.id)}/.well-known/agent-card.json`)
		),
		signatures: []
	};
}

/** The card as JSON on the wire (the protocol's JSON names, not the SDK's in-memory shape). */
export function cardJson(card: AgentCard): string {
	return JSON.stringify(AgentCard.toJSON(card));
}
