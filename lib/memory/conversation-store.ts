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
 * not its whole length. Encrypted at rest like memories when a cipher is configured.
 */
export class ConversationStore {
	constructor(
		private readonly db: Database,
		private readonly cipher?: MemoryCipher
	) {}

	/** Appends messages after the session's last; their seq numbers. */
	async append(agentId: string, sessionId: string, messages: { role: HistoryRole; content: string }[]): Promise<number[]> {
		return this.db.transaction(async tx => {
			// One writer at a time per session, so two appends never take the same seq.
			await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`conversation:${agentId}:${sessionId}`]);
			const { rows } = await tx.query<{ last: number | null }>("SELECT max(seq) AS last FROM conversation_messages WHERE agent_id = $1 AND session_id = $2", [agentId, sessionId]);
			let seq = Number(rows[0]?.last ?? 0);
			const seqs: number[] = [];
			for (const m of messages) {
				seq += 1;
				seqs.push(seq);
				await tx.query("INSERT INTO conversation_messages (agent_id, session_id, seq, role, content, encrypted) VALUES ($1, $2, $3, $4, $5, $6)", [
					agentId,
					sessionId,
					seq,
					m.role,
					this.cipher ? this.cipher.encryptText(agentId, `${sessionId}#${seq}`, m.content) : m.content,
					this.cipher !== undefined
				]);
			}
			return seqs;
		});
	}

	async window(agentId: string, sessionId: string, size: number): Promise<HistoryWindow> {
		const [count, summary, recent] = await Promise.all([
			this.db.query<{ n: string }>("SELECT count(*) AS n FROM conversation_messages WHERE agent_id = $1 AND session_id = $2", [agentId, sessionId]),
			this.summary(agentId, sessionId),
			this.db.query<MessageRow>("SELECT seq, role, content, encrypted, created_at FROM conversation_messages WHERE agent_id = $1 AND session_id = $2 ORDER BY seq DESC LIMIT $3", [agentId, sessionId, size])
		]);
		return {
			sessionId,
			...summary,
			messages: recent.rows.reverse().map(r => this.toMessage(agentId, sessionId, r)),
			total: Number(count.rows[0].n)
		};
	}

	/** The running summary of a session and the seq of the last message it covers (0 when none). */
	async summary(agentId: string, sessionId: string): Promise<Pick<HistoryWindow, "summary" | "summaryCovers">> {
		const { rows } = await this.db.query<{ summary: string; covers_seq: number; encrypted: boolean }>(
			"SELECT summary, covers_seq, encrypted FROM conversation_summaries WHERE agent_id = $1 AND session_id = $2",
			[agentId, sessionId]
		);
		const s = rows[0];
		return { summary: s ? this.open(agentId, `${sessionId}#summary`, s.summary, s.encrypted) : null, summaryCovers: s ? Number(s.covers_seq) : 0 };
	}

	/** Messages after `afterSeq` up to and including `uptoSeq`, oldest first. */
	async between(agentId: string, sessionId: string, afterSeq: number, uptoSeq: number): Promise<HistoryMessage[]> {
		const { rows } = await this.db.query<MessageRow>(
			"SELECT seq, role, content, encrypted, created_at FROM conversation_messages WHERE agent_id = $1 AND session_id = $2 AND seq > $3 AND seq <= $4 ORDER BY seq",
			[agentId, sessionId, afterSeq, uptoSeq]
		);
		return rows.map(r => this.toMessage(agentId, sessionId, r));
	}

	async saveSummary(agentId: string, sessionId: string, summary: string, coversSeq: number): Promise<void> {
		const sealed = this.cipher ? this.cipher.encryptText(agentId, `${sessionId}#summary`, summary) : summary;
		await this.db.query(
			`INSERT INTO conversation_summaries (agent_id, session_id, summary, covers_seq, encrypted) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (agent_id, session_id) DO UPDATE SET summary = EXCLUDED.summary, covers_seq = EXCLUDED.covers_seq, encrypted = EXCLUDED.encrypted, updated_at = now()
			 WHERE conversation_summaries.covers_seq < EXCLUDED.covers_seq`,
			[agentId, sessionId, sealed, coversSeq, this.cipher !== undefined]
		);
	}

	async sessions(agentId: string): Promise<{ sessionId: string; messages: number; lastAt: string }[]> {
		const { rows } = await this.db.query<{ session_id: string; n: string; last_at: Date }>(
			"SELECT session_id, count(*) AS n, max(created_at) AS last_at FROM conversation_messages WHERE agent_id = $1 GROUP BY session_id ORDER BY max(created_at) DESC",
			[agentId]
		);
		return rows.map(r => ({ sessionId: r.session_id, messages: Number(r.n), lastAt: new Date(r.last_at).toISOString() }));
	}

	/** Removes a session's messages and summary; how many messages. */
	async remove(agentId: string, sessionId: string): Promise<number> {
		return this.db.transaction(async tx => {
			await tx.query("DELETE FROM conversation_summaries WHERE agent_id = $1 AND session_id = $2", [agentId, sessionId]);
			const { rowCount } = await tx.query("DELETE FROM conversation_messages WHERE agent_id = $1 AND session_id = $2", [agentId, sessionId]);
			return rowCount;
		});
	}

	private toMessage(agentId: string, sessionId: string, r: MessageRow): HistoryMessage {
		return { seq: Number(r.seq), role: r.role, content: this.open(agentId, `${sessionId}#${r.seq}`, r.content, r.encrypted), createdAt: new Date(r.created_at).toISOString() };
	}

	private open(agentId: string, aad: string, text: string, encrypted: boolean): string {
		if (!encrypted) return text;
		if (!this.cipher) throw new MemoryLockedError(aad, agentId);
		return this.cipher.decryptText(agentId, aad, text);
	}
}
