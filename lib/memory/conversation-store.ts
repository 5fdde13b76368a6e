import type { Database } from "../kernel/database";
import type { MemoryCipher } from "./memory-crypto";
import { MemoryLockedError } from "./memory-errors";

export const HISTORY_ROLES = ["system", "user", "assistant", "tool"] as const;
export type HistoryRole = (typeof HISTORY_ROLES)[number];

export interface HistoryMessage {
	seq: number;
	role: HistoryRole;
	content: string;
	createdAt: string;
}

/** Who a session belongs to when nobody is named: kept before owners existed; only admins read it. */
export const UNOWNED = "unowned";

/**
 * A session is the agent's, the owner's and its name together: the same name under two
 * owners is two sessions (lib/kernel/caller.ts sessionOwnerOf says who an owner is).
 */
export interface SessionKey {
	agentId: string;
	owner: string;
	sessionId: string;
}

export interface SessionSummary {
	sessionId: string;
	owner: string;
	messages: number;
	lastAt: string;
}

export interface HistoryWindow {
	sessionId: string;
	/** What the messages before the window said, or null while there are few. */
	summary: string | null;
	/** The seq of the last message the summary covers (0 when none). */
	summaryCovers: number;
	/** The most recent messages, oldest first. */
	messages: HistoryMessage[];
	total: number;
}

interface MessageRow {
	seq: number;
	role: HistoryRole;
	content: string;
	encrypted: boolean;
	created_at: Date;
}

/**
 * Chat sessions' messages, every one kept in order, and a running summary of those that
 * slid out of the window — so a long conversation costs the model a window and a summary,
 * not its whole length. Encrypted at rest like memories when a cipher is configured; an
 * owned session's owner is sealed into each message, so rows cannot be moved between owners.
 */
export class ConversationStore {
	constructor(
		private readonly db: Database,
		private readonly cipher?: MemoryCipher
	) {}

	/** Appends messages after the session's last; their seq numbers. */
	async append(key: SessionKey, messages: { role: HistoryRole; content: string }[]): Promise<number[]> {
		const { agentId, owner, sessionId } = key;
		return this.db.transaction(async tx => {
			// One writer at a time per session, so two appends never take the same seq.
			await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`conversation:${agentId}:${owner}:${sessionId}`]);
			const { rows } = await tx.query<{ last: number | null }>("SELECT max(seq) AS last FROM conversation_messages WHERE agent_id = $1 AND owner = $2 AND session_id = $3", [agentId, owner, sessionId]);
			let seq = Number(rows[0]?.last ?? 0);
			const seqs: number[] = [];
			for (const m of messages) {
				seq += 1;
				seqs.push(seq);
				await tx.query("INSERT INTO conversation_messages (agent_id, owner, session_id, seq, role, content, encrypted) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
					agentId,
					owner,
					sessionId,
					seq,
					m.role,
					this.cipher ? this.cipher.encryptText(agentId, sealedAs(key, String(seq)), m.content) : m.content,
					this.cipher !== undefined
				]);
			}
			return seqs;
		});
	}

	async window(key: SessionKey, size: number): Promise<HistoryWindow> {
		const { agentId, owner, sessionId } = key;
		const [count, summary, recent] = await Promise.all([
			this.db.query<{ n: string }>("SELECT count(*) AS n FROM conversation_messages WHERE agent_id = $1 AND owner = $2 AND session_id = $3", [agentId, owner, sessionId]),
			this.summary(key),
			this.db.query<MessageRow>("SELECT seq, role, content, encrypted, created_at FROM conversation_messages WHERE agent_id = $1 AND owner = $2 AND session_id = $3 ORDER BY seq DESC LIMIT $4", [
				agentId,
				owner,
				sessionId,
				size
			])
		]);
		return {
			sessionId,
			...summary,
			messages: recent.rows.reverse().map(r => this.toMessage(key, r)),
			total: Number(count.rows[0].n)
		};
	}

	/** The running summary of a session and the seq of the last message it covers (0 when none). */
	async summary(key: SessionKey): Promise<Pick<HistoryWindow, "summary" | "summaryCovers">> {
		const { rows } = await this.db.query<{ summary: string; covers_seq: number; encrypted: boolean }>(
			"SELECT summary, covers_seq, encrypted FROM conversation_summaries WHERE agent_id = $1 AND owner = $2 AND session_id = $3",
			[key.agentId, key.owner, key.sessionId]
		);
		const s = rows[0];
		return { summary: s ? this.open(key, "summary", s.summary, s.encrypted) : null, summaryCovers: s ? Number(s.covers_seq) : 0 };
	}

	/** Messages after `afterSeq` up to and including `uptoSeq`, oldest first. */
	async between(key: SessionKey, afterSeq: number, uptoSeq: number): Promise<HistoryMessage[]> {
		const { rows } = await this.db.query<MessageRow>(
			"SELECT seq, role, content, encrypted, created_at FROM conversation_messages WHERE agent_id = $1 AND owner = $2 AND session_id = $3 AND seq > $4 AND seq <= $5 ORDER BY seq",
			[key.agentId, key.owner, key.sessionId, afterSeq, uptoSeq]
		);
		return rows.map(r => this.toMessage(key, r));
	}

	async saveSummary(key: SessionKey, summary: string, coversSeq: number): Promise<void> {
		const sealed = this.cipher ? this.cipher.encryptText(key.agentId, sealedAs(key, "summary"), summary) : summary;
		await this.db.query(
			`INSERT INTO conversation_summaries (agent_id, owner, session_id, summary, covers_seq, encrypted) VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (agent_id, owner, session_id) DO UPDATE SET summary = EXCLUDED.summary, covers_seq = EXCLUDED.covers_seq, encrypted = EXCLUDED.encrypted, updated_at = now()
			 WHERE conversation_summaries.covers_seq < EXCLUDED.covers_seq`,
			[key.agentId, key.owner, key.sessionId, sealed, coversSeq, this.cipher !== undefined]
		);
	}

	/** An agent's sessions, most recent first: one owner's, or (`owner` absent) everyone's. */
	async sessions(agentId: string, owner?: string): Promise<SessionSummary[]> {
		const { rows } = await this.db.query<{ session_id: string; owner: string; n: string; last_at: Date }>(
			`SELECT session_id, owner, count(*) AS n, max(created_at) AS last_at FROM conversation_messages
			 WHERE agent_id = $1 AND ($2::text IS NULL OR owner = $2) GROUP BY owner, session_id ORDER BY max(created_at) DESC`,
			[agentId, owner ?? null]
		);
		return rows.map(r => ({ sessionId: r.session_id, owner: r.owner, messages: Number(r.n), lastAt: new Date(r.last_at).toISOString() }));
	}

	/** Removes a session's messages and summary; how many messages. */
	async remove(key: SessionKey): Promise<number> {
		const where = [key.agentId, key.owner, key.sessionId];
		return this.db.transaction(async tx => {
			await tx.query("DELETE FROM conversation_summaries WHERE agent_id = $1 AND owner = $2 AND session_id = $3", where);
			const { rowCount } = await tx.query("DELETE FROM conversation_messages WHERE agent_id = $1 AND owner = $2 AND session_id = $3", where);
			return rowCount;
		});
	}

	private toMessage(key: SessionKey, r: MessageRow): HistoryMessage {
		return { seq: Number(r.seq), role: r.role, content: this.open(key, String(r.seq), r.content, r.encrypted), createdAt: new Date(r.created_at).toISOString() };
	}

	private open(key: SessionKey, part: string, text: string, encrypted: boolean): string {
		if (!encrypted) return text;
		if (!this.cipher) throw new MemoryLockedError(`${key.sessionId}#${part}`, key.agentId);
		return this.cipher.decryptText(key.agentId, sealedAs(key, part), text);
	}
}

/** What a message or summary is sealed with: its session, seq or `summary`, and its owner (unowned ones as they were sealed before owners). */
function sealedAs(key: SessionKey, part: string): string {
	return key.owner === UNOWNED ? `${key.sessionId}#${part}` : `${key.owner}/${key.sessionId}#${part}`;
}
