// {{name}}: {{description}}
// Made with `agent-os agents new`. Every call on `ctx` goes through the agent's actor and
// is checked against the permissions in manifest.json; see the README for what ctx offers.
module.exports = {
	async onStart(ctx) {
		ctx.log.info("{{id}} ready");
	},

	async onTask(task, ctx) {
		switch (task.type) {
			case "add": {
				// ctx.state: key/value private to this agent, kept across restarts.
				const items = (await ctx.state.get("items")) ?? [];
				items.push(String(task.item));
				await ctx.state.set("items", items);
				return { added: task.item, count: items.length };
			}
			case "list":
				return { items: (await ctx.state.get("items")) ?? [] };
			default:
				throw new Error(`{{id}} does not know task type "${task.type}"`);
		}
	}
};
