import type { Database } from "../../lib/kernel/database";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { ConversationStore, UNOWNED } from "../../lib/memory/conversation-store";
import { MemoryCipher } from "../../lib/memory/memory-crypto";

const KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/** The migration that gave sessions an owner. */
const OWNERS = 18;

/** Chat history kept before sessions had owners survives the upgrade, whole and readable, under `unowned`. */
describe("the migration that gives chat sessions an owner", () => {
	let db: Database;
	const cipher = MemoryCipher.fromSetting(KEY);

	beforeAll(async () => {
		db = await PgliteDatabase.open(undefined);
		const all = readMigrations(migrationsDir());
		await migrate(db, all.filter(m => m.version < OWNERS));
		// Rows as the store wrote them before: one plain message, one encrypted with the session-only seal, a summary.
		await db.query("INSERT INTO conversation_messages (agent_id, session_id, seq, role, content, encrypted) VALUES ('keeper', 's1', 1, 'user', 'my code word is heron', false)");
		await db.query("INSERT INTO conversation_messages (agent_id, session_id, seq, role, content, encrypted) VALUES ('keeper', 's1', 2, 'assistant', $1, true)", [
			cipher.encryptText("keeper", "s1#2", "noted: heron")
		]);
		await db.query("INSERT INTO conversation_summaries (agent_id, session_id, summary, covers_seq, encrypted) VALUES ('keeper', 's1', 'the user named a code word', 0, false)");
		await migrate(db, all);
	});
	afterAll(() => db.close());

	it("keeps every old message and the summary, under the owner `unowned`, still decrypted with the key that wrote them", async () => {
		const store = new ConversationStore(db, cipher);
		const old = await store.window({ agentId: "keeper", owner: UNOWNED, sessionId: "s1" }, 10);
		expect(old).toMatchObject({ total: 2, summary: "the user named a code word" });
		expect(old.messages.map(m => m.content)).toEqual(["my code word is heron", "noted: heron"]);
		expect(await store.sessions("keeper")).toEqual([expect.objectContaining({ sessionId: "s1", owner: UNOWNED, messages: 2 })]);
	});

	it("gives no token the old session: the same name under a token is a new, separate session", async () => {
		const store = new ConversationStore(db, cipher);
		const mine = { agentId: "keeper", owner: "token:0b1c", sessionId: "s1" };
		expect(await store.window(mine, 10)).toMatchObject({ total: 0, summary: null, messages: [] });
		expect(await store.append(mine, [{ role: "user", content: "hello" }])).toEqual([1]);
		expect((await store.window(mine, 10)).messages.map(m => m.content)).toEqual(["hello"]);
		expect((await store.window({ agentId: "keeper", owner: UNOWNED, sessionId: "s1" }, 10)).total).toBe(2);
		expect(await store.sessions("keeper", "token:0b1c")).toEqual([expect.objectContaining({ sessionId: "s1", owner: "token:0b1c", messages: 1 })]);
	});

	it("seals an owned session's messages with their owner: moved under another owner, they do not open", async () => {
		const store = new ConversationStore(db, cipher);
		await store.append({ agentId: "keeper", owner: "token:aaaa", sessionId: "moved" }, [{ role: "user", content: "alice's secret" }]);
		await db.query("UPDATE conversation_messages SET owner = 'token:bbbb' WHERE agent_id = 'keeper' AND session_id = 'moved'");
		await expect(store.window({ agentId: "keeper", owner: "token:bbbb", sessionId: "moved" }, 10)).rejects.toMatchObject({ type: "MEMORY_UNREADABLE" });
	});
});
