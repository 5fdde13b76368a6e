// A stand-in for the `ctx` an agent gets, for testing agent code with `node --test`,
// without a node: state and memory live in this process, and tools, models and the
// node's health answer with what the test hands in. Every call is recorded in `calls`.
function createFakeContext({ agentId = "test-agent", tools = {}, chat, run, health, alert } = {}) {
	const state = new Map();
	const memories = [];
	const calls = [];
	const record = (method, args) => calls.push({ method, args });
	const missing = what => () => Promise.reject(new Error(`the test gave no ${what}`));
	const words = text => new Set(String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
	return {
		agentId,
		calls,
		memories,
		llm: {
			chat: async request => (record("llm.chat", [request]), (chat ?? missing("chat"))(request)),
			embed: missing("embed"),
			run: async request => (record("llm.run", [request]), (run ?? missing("run"))(request))
		},
		memory: {
			async store(m) {
				record("memory.store", [m]);
				const batch = m.memories ?? [m];
				for (const item of batch) memories.push({ id: String(memories.length + 1), type: "semantic", metadata: {}, ...item, createdAt: new Date().toISOString() });
				return m.memories ? { items: memories.slice(-batch.length) } : memories[memories.length - 1];
			},
			async search(q) {
				record("memory.search", [q]);
				const wanted = words(q.query ?? q.q);
				const hits = memories
					.filter(m => !q.type || m.type === q.type)
					.map(memory => ({ memory, score: [...words(memory.content)].filter(w => wanted.has(w)).length }))
					.filter(h => h.score > 0)
					.sort((a, b) => b.score - a.score);
				return { query: q.query ?? q.q, hits: hits.slice(0, q.k ?? 10) };
			},
			get: async id => memories.find(m => m.id === id),
			forget: async id => memories.splice(memories.findIndex(m => m.id === id), 1),
			list: async () => ({ items: memories })
		},
		tools: {
			list: async () => Object.keys(tools).map(id => ({ id })),
			async invoke(id, args) {
				record("tools.invoke", [id, args]);
				if (!tools[id]) throw new Error(`no tool ${id} in this test`);
				return { content: await tools[id](args) };
			}
		},
		agents: { ask: missing("agents.ask"), send: missing("agents.send") },
		state: {
			get: async key => state.get(key),
			set: async (key, value) => void state.set(key, JSON.parse(JSON.stringify(value))),
			delete: async key => void state.delete(key),
			list: async () => [...state.keys()]
		},
		node: {
			health: async () => (record("node.health", []), (health ?? missing("health"))()),
			alert: async a => (record("node.alert", [a]), alert ? alert(a) : { id: String(calls.length), ...a, webhook: "off" })
		},
		log: { debug() {}, info() {}, warn() {}, error() {} }
	};
}

module.exports = { createFakeContext };
