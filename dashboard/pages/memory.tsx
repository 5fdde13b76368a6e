/**
 * Memory explorer (`#/memory/<agent>/<memory>?`): one agent's memories — hybrid search with
 * the ranking's `why` for each hit, the list by kind (type) and scope, one memory's view,
 * forget (confirmed), export (a JSON-lines download) and the agents it shares with.
 * Memory contents are what agents wrote: shown as text only.
 */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import type { Memory, MemoryScope, MemoryType, RankedHit } from "../../sdk/memory";
import { api, sdk, shown, type ShownError } from "../api";
import { AnySelect } from "../components/choice";
import { AgentSelect } from "../components/agent-select";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { Guarded, GuardedButton } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLoad } from "../load";
import { href, navigate, type PageProps } from "../router";
import { currentToken } from "../session";
import "./explorers.css";

const TYPES: MemoryType[] = ["episodic", "semantic", "procedural"];
const SCOPES: MemoryScope[] = ["private", "shared", "public"];
const WHY_PARTS = ["vector", "text", "recency", "importance"] as const;
const short = (text: string, n = 140) => (text.length > n ? `${text.slice(0, n)}…` : text);

export function MemoryPage({ params }: PageProps) {
	const [agentId, memoryId] = params;
	return (
		<section class="page memory-page">
			<h1>Memory</h1>
			<div class="toolbar">
				<AgentSelect label="Agent" value={agentId} onChange={id => navigate("memory", id)} />
			</div>
			{agentId ? <Explorer key={agentId} agentId={agentId} memoryId={memoryId} /> : <p class="hint">Choose an agent to explore what it remembers.</p>}
		</section>
	);
}

function Explorer({ agentId, memoryId }: { agentId: string; memoryId?: string }) {
	const [version, setVersion] = useState(0);
	const forgotten = () => {
		setVersion(v => v + 1);
		navigate("memory", agentId);
	};
	return (
		<Guarded scope="memory:read" fallback={<p class="needs-scope">needs scope memory:read to explore memories</p>}>
			{memoryId && <MemoryView agentId={agentId} memoryId={memoryId} onForgotten={forgotten} />}
			<Search agentId={agentId} version={version} />
			<MemoryList agentId={agentId} version={version} onForgotten={forgotten} />
			<div class="grid-2">
				<Shares agentId={agentId} />
				<Export agentId={agentId} />
			</div>
		</Guarded>
	);
}

function ForgetButton({ agentId, memory, onDone }: { agentId: string; memory: Memory; onDone(): void }) {
	return (
		<ConfirmButton scope="memory:write" label="Forget" title="Forget this memory?" danger action={() => sdk().memory.forget(agentId, memory.id)} onDone={onDone}>
			<p class="text">{short(memory.content, 300)}</p>
			<p class="hint">It is archived: search and the agent no longer see it (an admin can restore it).</p>
		</ConfirmButton>
	);
}

function MemoryView({ agentId, memoryId, onForgotten }: { agentId: string; memoryId: string; onForgotten(): void }) {
	const memory = useLoad(() => sdk().memory.get(agentId, memoryId), [agentId, memoryId]);
	const m = memory.data;
	return (
		<article class="memory-view" aria-label="Memory">
			<h2>Memory</h2>
			<ErrorBanner error={memory.error} />
			{m && (
				<>
					<p class="text memory-content">{m.content}</p>
					<dl class="facts">
						<dt>Id</dt>
						<dd>
							<code>{m.id}</code>
						</dd>
						<dt>Kind</dt>
						<dd>{m.type}</dd>
						<dt>Scope</dt>
						<dd>{m.scope}</dd>
						<dt>Owner</dt>
						<dd>{m.agentId}</dd>
						<dt>Importance</dt>
						<dd>{m.importance}</dd>
						<dt>Stored</dt>
						<dd>
							<Time value={m.createdAt} />
						</dd>
						<dt>Encrypted</dt>
						<dd>{m.encrypted ? "yes" : "no"}</dd>
						<dt>Embedding model</dt>
						<dd>{m.embeddingModel}</dd>
						{m.archivedAt && (
							<>
								<dt>Forgotten</dt>
								<dd>
									<Time value={m.archivedAt} />
								</dd>
							</>
						)}
						<dt>Metadata</dt>
						<dd>
							<code class="text">{JSON.stringify(m.metadata)}</code>
						</dd>
					</dl>
					<div class="actions">
						{!m.archivedAt && m.agentId === agentId && <ForgetButton agentId={agentId} memory={m} onDone={onForgotten} />}
						<a href={href("memory", agentId)}>Close</a>
					</div>
				</>
			)}
		</article>
	);
}

function Why({ hit }: { hit: RankedHit }) {
	return (
		<div class="why" aria-label="Why it ranks here">
			{WHY_PARTS.map(part => (
				<Fragment key={part}>
					<span>{part}</span>
					<meter min={0} max={1} value={hit.why[part]} aria-label={`${part} ${hit.why[part]}`} />
					<span>{hit.why[part].toFixed(2)}</span>
				</Fragment>
			))}
			{hit.why.words.length > 0 && (
				<>
					<span>words</span>
					<span class="why-words">{hit.why.words.join(", ")}</span>
					<span />
				</>
			)}
		</div>
	);
}

function Search({ agentId, version }: { agentId: string; version: number }) {
	const [q, setQ] = useState("");
	const [type, setType] = useState<MemoryType | "">("");
	const [hits, setHits] = useState<RankedHit[] | undefined>(undefined);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const [busy, setBusy] = useState(false);
	const search = async () => {
		setBusy(true);
		setError(undefined);
		try {
			setHits((await sdk().memory.search(agentId, q, { type: type || undefined, k: 20 })).hits);
		} catch (err) {
			setError(shown(err));
		} finally {
			setBusy(false);
		}
	};
	return (
		<section aria-label="Search memories" data-version={version}>
			<h2>Search</h2>
			<form class="toolbar" onSubmit={e => (e.preventDefault(), void search())}>
				<label>
					Query
					<input type="search" value={q} onInput={e => setQ((e.target as HTMLInputElement).value)} required />
				</label>
				<AnySelect label="Kind" value={type} options={TYPES} onChange={setType} />
				<div>
					<button type="submit" class="primary" disabled={busy || !q.trim()}>
						{busy ? "Searching…" : "Search"}
					</button>
				</div>
			</form>
			<ErrorBanner error={error} />
			{hits && hits.length === 0 && <p class="hint">Nothing found.</p>}
			{hits?.map(hit => (
				<article key={hit.memory.id} class="hit">
					<header>
						<strong>score {hit.score.toFixed(3)}</strong>
						<span class="badge">{hit.memory.type}</span>
						<span class="badge">{hit.memory.scope}</span>
						{hit.memory.agentId !== agentId && <span class="badge">shared by {hit.memory.agentId}</span>}
						<a href={href("memory", agentId, hit.memory.id)}>View</a>
					</header>
					<p class="text">{hit.memory.content}</p>
					<Why hit={hit} />
				</article>
			))}
		</section>
	);
}

function MemoryList({ agentId, version, onForgotten }: { agentId: string; version: number; onForgotten(): void }) {
	const [type, setType] = useState<MemoryType | "">("");
	const [scope, setScope] = useState<MemoryScope | "">("");
	return (
		<section aria-label="Memories by kind and scope">
			<h2>Memories</h2>
			<div class="toolbar">
				<label>
					Kind
					<select value={type} onChange={e => setType((e.target as HTMLSelectElement).value as MemoryType | "")}>
						<option value="">all</option>
						{TYPES.map(t => (
							<option key={t}>{t}</option>
						))}
					</select>
				</label>
				<label>
					Scope
					<select value={scope} onChange={e => setScope((e.target as HTMLSelectElement).value as MemoryScope | "")}>
						<option value="">all</option>
						{SCOPES.map(s => (
							<option key={s}>{s}</option>
						))}
					</select>
				</label>
			</div>
			<PagedTable<Memory>
				caption={`Memories of ${agentId}`}
				deps={[agentId, type, scope]}
				refresh={version}
				rowKey={m => m.id}
				load={({ limit, offset }) => sdk().memory.list(agentId, { type: type || undefined, scope: scope || undefined, limit, offset }).then(page => ({ ...page, limit, offset }))}
				empty="No memories."
				columns={[
					{ key: "content", title: "Content", render: m => <span class="text">{short(m.content)}</span> },
					{ key: "type", title: "Kind", render: m => m.type },
					{ key: "scope", title: "Scope", render: m => m.scope },
					{ key: "importance", title: "Importance", render: m => m.importance },
					{ key: "createdAt", title: "Stored", render: m => <Time value={m.createdAt} /> },
					{
						key: "actions",
						title: "Actions",
						render: m => (
							<div class="actions">
								<a href={href("memory", agentId, m.id)}>View</a>
								<ForgetButton agentId={agentId} memory={m} onDone={onForgotten} />
							</div>
						)
					}
				]}
			/>
		</section>
	);
}

interface Shares {
	agentId: string;
	shares: { agentId: string; since: string }[];
}

function Shares({ agentId }: { agentId: string }) {
	const shares = useLoad(() => api.get<Shares>(`/agents/${encodeURIComponent(agentId)}/memory-shares`), [agentId]);
	const [grantee, setGrantee] = useState("");
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const share = async () => {
		setError(undefined);
		try {
			await sdk().memory.share(agentId, grantee.trim());
			setGrantee("");
			shares.reload();
		} catch (err) {
			setError(shown(err));
		}
	};
	const items = shares.data?.shares ?? [];
	return (
		<section aria-label="Shares">
			<h2>Shares</h2>
			<p class="hint">Agents that see {agentId}'s shared memories.</p>
			<ErrorBanner error={shares.error} />
			<ul>
				{items.map(s => (
					<li key={s.agentId}>
						{s.agentId} since <Time value={s.since} />{" "}
						<ConfirmButton scope="memory:write" label="Stop sharing" title={`Stop sharing with ${s.agentId}?`} action={() => sdk().memory.unshare(agentId, s.agentId)} onDone={shares.reload} />
					</li>
				))}
				{!shares.loading && items.length === 0 && <li class="hint">Shares with no one.</li>}
			</ul>
			<form class="toolbar" onSubmit={e => (e.preventDefault(), void share())}>
				<label>
					Share with agent
					<input value={grantee} onInput={e => setGrantee((e.target as HTMLInputElement).value)} required />
				</label>
				<div>
					<GuardedButton scope="memory:write" type="submit" disabled={!grantee.trim()}>
						Share
					</GuardedButton>
				</div>
			</form>
			<ErrorBanner error={error} />
		</section>
	);
}

/** The export is JSON lines behind the token: fetched, then handed to the browser as a file. */
function Export({ agentId }: { agentId: string }) {
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const download = async () => {
		setError(undefined);
		try {
			const res = await fetch(`/api/v1/agents/${encodeURIComponent(agentId)}/memories/export`, { headers: { authorization: `Bearer ${currentToken() ?? ""}` } });
			if (!res.ok) throw new Error(`The export answered ${res.status}`);
			const url = URL.createObjectURL(await res.blob());
			const a = document.createElement("a");
			a.href = url;
			a.download = `memories-${agentId}.jsonl`;
			a.click();
			setTimeout(() => URL.revokeObjectURL(url), 10_000);
		} catch (err) {
			setError(shown(err));
		}
	};
	return (
		<section aria-label="Export">
			<h2>Export</h2>
			<p class="hint">Everything {agentId} remembers, decrypted, as JSON lines (audited).</p>
			<GuardedButton scope="memory:read" onClick={() => void download()}>
				Download export
			</GuardedButton>
			<ErrorBanner error={error} />
		</section>
	);
}
