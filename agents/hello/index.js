// The smallest useful agent: it greets, and remembers how many times it has.
// Copy this folder to start your own (see the README, "Writing an agent").
module.exports = {
	async onStart(ctx) {
		ctx.log.info("hello agent ready");
	},

	async onTask(task, ctx, info) {
		if (task.type !== "greet") throw new Error(`hello does not know task type "${task.type}"`);
		const count = ((await ctx.state.get("greetings")) ?? 0) + 1;
		await ctx.state.set("greetings", count);
		return { greeting: `Hello, ${task.name ?? info.caller.id}!`, greetings: count };
	}
};
