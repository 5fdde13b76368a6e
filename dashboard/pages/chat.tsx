/**
 * Chat (`#/chat`, `#/chat/<agent>/<session>`): talk to an agent in a session. The answer
 * streams (POST /agents/:id/chat with stream, read through the SDK's chatStream): text as
 * the model writes it, each tool call and its result as they happen, then the answer's
 * tokens and cost. Sessions are listed and resumable (GET /agents/:id/sessions); an admin
 * can also list everyone's sessions with the agent and whose each is.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { AgentOSApiError, sdk, shown, type ShownError } from "../api";
import type { AgentChatAnswer, AgentChatEvent } from "../../sdk/http-client";
import { AllSessions } from "../chat/all-sessions";
import { AgentSelect } from "../components/agent-select";
import { ErrorBanner } from "../components/error-banner";
import { formatUsd } from "../components/usd";
import { Guarded, GuardedButton } from "../components/guarded";
import { Time } from "../components/time";
import { useLoad } from "../load";
import { href, navigate, type PageProps } from "../router";
import { can } from "../session";
import "./explorers.css";

interface ToolStep {
	id: string;
	name: string;
	arguments: Record<string, unknown>;
	result?: { ok: boolean; summary: string };
}

interface Turn {
	role: "user" | "assistant";
	text: string;
	tools: ToolStep[];
	/** What the answer cost, once it ended. */
	cost?: { usd: number; tokens: number; model: string | null };
	error?: ShownError;
	streaming?: boolean;
}

const DEFAULT_SESSION = "default";
const newSessionId = () => `chat-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}`;

/** One streamed event folded into the answer being written. */
function fold(turn: Turn, event: AgentChatEvent): Turn {
	switch (event.type) {
		case "token":
			return { ...turn, text: turn.text + event.text };
		case "answer":
			return { ...turn, text: event.text };
		case "tool_call":
			return { ...turn, tools: [...turn.tools, { id: event.call.id, name: event.call.name, arguments: event.call.arguments }] };
		case "tool_result":
			return { ...turn, tools: turn.tools.map(t => (t.id === event.callId ? { ...t, result: { ok: event.ok, summary: event.summary } } : t)) };
		case "end": {
			// A declarative agent's loop result has usage and cost; a code agent's is what its `chat` task returned.
			const result: Partial<AgentChatAnswer> = event.result;
			const text = typeof result.answer === "string" ? result.answer : turn.text || JSON.stringify(event.result, null, 2);
			const cost = result.usage && typeof result.costUsd === "number" ? { usd: result.costUsd, tokens: result.usage.totalTokens, model: result.model ?? null } : undefined;
			return { ...turn, text, streaming: false, cost };
		}
		case "error":
			return { ...turn, streaming: false, error: { type: event.error.type, message: event.error.message, status: event.error.code } };
		default:
			return turn;
	}
}

export function ChatPage({ params }: PageProps) {
	const [agentId, sessionParam] = params;
	const sessionId = sessionParam ?? DEFAULT_SESSION;
	return (
		<section class="page chat-page">
			<h1>Chat</h1>
			<div class="toolbar">
				<AgentSelect label="Agent" value={agentId} onChange={id => navigate("chat", id)} />
			</div>
			{agentId ? <ChatWith key={`${agentId}/${sessionId}`} agentId={agentId} sessionId={sessionId} /> : <p class="hint">Choose an agent to talk to.</p>}
		</section>
	);
}

/** A session of this token's that has no messages yet (or another token's, which the server never shows) starts empty. */
function notYetSaid(err: unknown): undefined {
	if (err instanceof AgentOSApiError && err.type === "SESSION_NOT_FOUND") return undefined;
	throw err;
}

function ChatWith({ agentId, sessionId }: { agentId: string; sessionId: string }) {
	// What the session said before this page opened, then what is said here (kept apart: the history may load after a message is sent).
	const [turns, setTurns] = useState<Turn[]>([]);
	const [sessionsVersion, setSessionsVersion] = useState(0);
	const canRead = can("memory:read");
	const history = useLoad(() => (canRead ? sdk().memory.history(agentId, sessionId).catch(notYetSaid) : Promise.resolve(undefined)), [agentId, sessionId, canRead]);
	const past: Turn[] = (history.data?.messages ?? []).filter(m => m.role === "user" || m.role === "assistant").map(m => ({ role: m.role as Turn["role"], text: m.content, tools: [] }));
	return (
		<div class="chat-layout">
			<aside class="chat-sessions" aria-label="Sessions">
				<h2>Sessions</h2>
				<button type="button" onClick={() => navigate("chat", agentId, newSessionId())}>
					New session
				</button>
				<Guarded scope="memory:read" fallback={<p class="needs-scope">needs scope memory:read to list sessions</p>}>
					<SessionList agentId={agentId} current={sessionId} version={sessionsVersion} />
				</Guarded>
				{can("admin") && <AllSessions agentId={agentId} />}
			</aside>
			<div class="chat-main">
				<p class="hint">
					Session <code>{sessionId}</code>
					{history.data?.summary && " · earlier messages are summarised"}
				</p>
				<ErrorBanner error={history.error} />
				{history.data?.summary && (
					<details class="chat-summary">
						<summary>Summary of the earlier conversation</summary>
						<p class="text">{history.data.summary}</p>
					</details>
				)}
				<Transcript turns={[...past, ...turns]} />
				<Composer agentId={agentId} sessionId={sessionId} setTurns={setTurns} onAnswered={() => setSessionsVersion(v => v + 1)} />
			</div>
		</div>
	);
}

function SessionList({ agentId, current, version }: { agentId: string; current: string; version: number }) {
	const sessions = useLoad(() => sdk().memory.sessions(agentId), [agentId, version]);
	const items = sessions.data?.items ?? [];
	return (
		<>
			<ErrorBanner error={sessions.error} />
			<ul class="session-list">
				{items.map(s => (
					<li key={s.sessionId}>
						<a href={href("chat", agentId, s.sessionId)} aria-current={s.sessionId === current ? "page" : undefined}>
							{s.sessionId}
						</a>
						<span class="hint">
							{s.messages} messages · <Time value={s.lastAt} />
						</span>
					</li>
				))}
				{!sessions.loading && items.length === 0 && <li class="hint">No sessions yet.</li>}
			</ul>
		</>
	);
}

function Transcript({ turns }: { turns: Turn[] }) {
	const end = useRef<HTMLDivElement>(null);
	useEffect(() => end.current?.scrollIntoView?.({ block: "end" }), [turns]);
	return (
		<div class="transcript" role="log" aria-live="polite" aria-label="Conversation">
			{turns.length === 0 && <p class="hint">No messages in this session yet.</p>}
			{turns.map((turn, i) => (
				<article key={i} class={`turn turn-${turn.role}`} data-streaming={turn.streaming ? "true" : undefined}>
					<h3 class="turn-who">{turn.role === "user" ? "You" : "Agent"}</h3>
					{turn.tools.map(t => (
						<div key={t.id} class="tool-step" data-tool={t.name}>
							<div class="tool-call">
								Tool call <code>{t.name}</code> <code class="tool-args">{JSON.stringify(t.arguments)}</code>
							</div>
							{t.result ? (
								<div class={`tool-result ${t.result.ok ? "ok" : "failed"}`}>
									{t.result.ok ? "Result" : "Failed"}: <span class="text">{t.result.summary}</span>
								</div>
							) : (
								<div class="tool-result hint">running…</div>
							)}
						</div>
					))}
					{(turn.text || turn.streaming) && <p class="text turn-text">{turn.text || "…"}</p>}
					<ErrorBanner error={turn.error} />
					{turn.cost && (
						<p class="turn-cost">
							{turn.cost.tokens} tokens · {formatUsd(turn.cost.usd)}
							{turn.cost.model ? ` · ${turn.cost.model}` : ""}
						</p>
					)}
				</article>
			))}
			<div ref={end} />
		</div>
	);
}

function Composer({ agentId, sessionId, setTurns, onAnswered }: { agentId: string; sessionId: string; setTurns(f: (turns: Turn[]) => Turn[]): void; onAnswered(): void }) {
	const [message, setMessage] = useState("");
	const [busy, setBusy] = useState(false);
	const updateLast = (f: (turn: Turn) => Turn) => setTurns(turns => [...turns.slice(0, -1), f(turns[turns.length - 1])]);
	const send = async () => {
		const text = message.trim();
		if (!text || busy) return;
		setBusy(true);
		setMessage("");
		setTurns(turns => [...turns, { role: "user", text, tools: [] }, { role: "assistant", text: "", tools: [], streaming: true }]);
		try {
			for await (const event of sdk().agents.chatStream(agentId, text, { sessionId })) updateLast(turn => fold(turn, event));
		} catch (err) {
			updateLast(turn => ({ ...turn, streaming: false, error: shown(err) }));
		} finally {
			updateLast(turn => ({ ...turn, streaming: false }));
			setBusy(false);
			onAnswered();
		}
	};
	return (
		<form class="composer" onSubmit={e => (e.preventDefault(), void send())}>
			<label for="chat-message">Message</label>
			<textarea
				id="chat-message"
				rows={3}
				value={message}
				disabled={!can("tasks")}
				onInput={e => setMessage((e.target as HTMLTextAreaElement).value)}
				onKeyDown={e => {
					if (e.key === "Enter" && !e.shiftKey) {
						e.preventDefault();
						void send();
					}
				}}
			/>
			<GuardedButton scope="tasks" type="submit" class="primary" disabled={busy || !message.trim()}>
				{busy ? "Answering…" : "Send"}
			</GuardedButton>
		</form>
	);
}
