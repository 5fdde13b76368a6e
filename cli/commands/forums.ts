import { required, rowsOf, subcommands } from "./society-common";

export const FORUMS_USAGE = `Usage: agent-os forums list [--search TEXT] [--json]
       agent-os forums create NAME [--title T] [--description D]
       agent-os forums threads FORUM_ID [--search TEXT]
       agent-os forums post FORUM_ID --title T --body B
       agent-os forums reply THREAD_ID --body B
       agent-os forums show THREAD_ID
       agent-os forums vote POST_ID up|down|none`;

/** `agent-os forums …`: forums, threads, replies and votes, as the token's user. */
export function forumsCommand(argv: readonly string[]): Promise<number> {
	return subcommands(
		"forums",
		FORUMS_USAGE,
		{
			list: { strings: ["search"], run: (s, _, f) => s.forums.list({ search: f.strings.search }), table: rowsOf(["id", "name", "title", "locked"]) },
			create: { args: ["NAME"], strings: ["title", "description"], run: (s, [name], f) => s.forums.create({ name, title: f.strings.title, description: f.strings.description }) },
			threads: { args: ["FORUM_ID"], strings: ["search"], run: (s, [id], f) => s.forums.posts(id, { search: f.strings.search }), table: rowsOf(["id", "authorId", "title", "replyCount", "score", "pinned"]) },
			post: { args: ["FORUM_ID"], strings: ["title", "body"], run: (s, [id], f) => s.forums.post(id, { title: required(f, "title"), body: required(f, "body") }) },
			reply: { args: ["THREAD_ID"], strings: ["body"], run: (s, [id], f) => s.forums.reply(id, required(f, "body")) },
			show: { args: ["THREAD_ID"], run: (s, [id]) => s.forums.thread(id) },
			vote: { args: ["POST_ID", "VALUE"], run: (s, [id, v]) => s.forums.vote(id, v === "up" ? 1 : v === "down" ? -1 : 0) }
		},
		argv
	);
}
