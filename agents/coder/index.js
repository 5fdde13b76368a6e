// The coder: summarises a repository, runs the commands it is allowed to (tests, git
// status …) and, with a real model, explains code or proposes changes as unified diffs.
// It reads through the file tools and runs programs through shell_exec, so the node's
// ALLOWED_PATHS / ALLOWED_COMMANDS and the agent's grants apply to everything it does.
// It never writes a file: a proposed patch is for a person to review and apply.

/** What the coder itself agrees to run: a program and the first arguments allowed with it ("*": any). */
const COMMANDS = {
	git: ["status", "diff", "log", "show", "branch", "rev-parse", "ls-files"],
	npm: ["test", "ls", "--version"],
	node: ["--version"],
	ls: "*",
	wc: "*"
};

module.exports = {
	async onTask(task, ctx) {
		switch (task.type) {
			case "repo_summary":
				return summarise(task, ctx);
			case "run_command":
				return runCommand(task, ctx);
			case "explain":
				return explain(task, ctx);
			case "propose_patch":
				return proposePatch(task, ctx);
			case "chat":
				return chat(task, ctx);
			default:
				throw new Error(`coder does not know task type "${task.type}"; it knows repo_summary, run_command, explain, propose_patch, chat`);
		}
	}
};

async function summarise(task, ctx) {
	const { content: s } = await ctx.tools.invoke("builtin:repo_summary", { path: task.path });
	const languages = s.languages.slice(0, 5).map(l => `${l.language} (${l.files} file${l.files === 1 ? "" : "s"})`);
	const scripts = s.manifests.flatMap(m => Object.keys(m.scripts ?? {}).map(name => `${name}`));
	const overview = [
		`${s.path}: ${s.files} files in ${s.directories} folders, ${kb(s.bytes)}${s.truncated ? " (more not counted)" : ""}.`,
		languages.length ? `Mostly ${languages.join(", ")}.` : "No source files recognised.",
		...s.manifests.map(m => `${m.file}${m.name ? ` declares ${m.name}${m.version ? ` ${m.version}` : ""}` : ""}.`),
		scripts.length ? `Scripts: ${[...new Set(scripts)].join(", ")}.` : "",
		s.readme ? `${s.readme.file} begins: ${firstLine(s.readme.lines)}` : "No README."
	].filter(Boolean);
	return { path: s.path, overview: overview.join(" "), summary: s };
}

/** Refuses what is not on its own list before the node's rules get a say; the output comes back whatever the exit code. */
async function runCommand(task, ctx) {
	const args = Array.isArray(task.args) ? task.args.map(String) : [];
	const allowed = COMMANDS[task.command];
	if (!allowed || (allowed !== "*" && !allowed.includes(args[0]))) {
		throw new Error(`coder does not run "${[task.command, ...args].join(" ")}"; it runs ${allowedList()}`);
	}
	const { content } = await ctx.tools.invoke("builtin:shell_exec", { command: task.command, args, ...(task.cwd ? { cwd: task.cwd } : {}) });
	return { ...content, ok: content.exitCode === 0 };
}

/** With a language model: an explanation of the files asked about (or of the repository's summary). */
async function explain(task, ctx) {
	const files = await readFiles(task.files ?? [], ctx);
	if (!files.length && !task.path) throw new Error("explain needs files (paths of files) or path (a folder)");
	const context = files.length ? listing(files) : (await summarise(task, ctx)).overview;
	const result = await explainWithModel(task.question ?? "Explain this code.", context, ctx);
	return { explanation: result.message.content, model: `${result.provider}/${result.model}`, files: files.map(f => f.path) };
}

/**
 * A chat message is a question about code: the files it names (paths with a "/" or a file
 * extension) are read and explained with it; without any, the question goes to the model alone.
 * A file that cannot be read is reported in `unread`, not fatal.
 */
async function chat(task, ctx) {
	const message = String(task.message ?? "").trim();
	if (!message) throw new Error("chat needs a message: what to explain");
	const files = [];
	const unread = [];
	for (const path of pathsIn(message)) {
		try {
			files.push(...(await readFiles([path], ctx)));
		} catch (err) {
			unread.push({ path, error: err.message });
		}
	}
	const result = await explainWithModel(message, files.length ? listing(files) : "", ctx);
	return { answer: result.message.content ?? "", model: `${result.provider}/${result.model}`, files: files.map(f => f.path), ...(unread.length ? { unread } : {}) };
}

function explainWithModel(question, context, ctx) {
	return ctx.llm.chat({
		messages: [
			{ role: "system", content: "You are a senior engineer. Explain the code you are shown clearly and briefly, naming files and functions." },
			{ role: "user", content: context ? `${question}\n\n${context}` : question }
		]
	});
}

const listing = files => files.map(f => `--- ${f.path}\n${f.content}`).join("\n\n");

/** The file paths a message names: words with a "/" or a file extension (not URLs), at most 10. */
function pathsIn(message) {
	const words = message.split(/\s+/).map(w => w.replace(/^[("'`]+|[)"'`,;:!?]+$|\.$/g, ""));
	const paths = words.filter(w => !/^[a-z]+:\/\//i.test(w) && (/^[\w.~-]*\/[\w./-]+$/.test(w) || /^[\w-][\w.-]+\.[a-z][a-z0-9]{0,4}$/i.test(w)) && !/^\d+(\.\d+)+$/.test(w));
	return [...new Set(paths)].slice(0, 10);
}

/** With a language model: a unified diff for a person to review (git apply), never applied here. */
async function proposePatch(task, ctx) {
	const files = await readFiles(task.files ?? [], ctx);
	if (!files.length) throw new Error("propose_patch needs files: the paths of the files to change");
	const result = await ctx.llm.chat({
		messages: [
			{ role: "system", content: "You are a senior engineer. Answer with ONE unified diff (--- a/… +++ b/… @@ hunks) that makes the requested change, and nothing else." },
			{ role: "user", content: `${task.instruction}\n\n${listing(files)}` }
		]
	});
	const text = result.message.content ?? "";
	const diff = unifiedDiff(text);
	return {
		patch: diff,
		applied: false,
		note: diff ? "Review it, then apply it yourself (git apply); the coder never writes files." : "The model did not answer with a unified diff; an offline node cannot write code (configure a model).",
		...(diff ? {} : { answer: text }),
		model: `${result.provider}/${result.model}`
	};
}

/** The diff in a model's answer (inside a ``` fence or not), or null when there is none. */
function unifiedDiff(text) {
	const fenced = /```(?:diff|patch)?\n([\s\S]*?)```/.exec(text);
	const body = fenced ? fenced[1] : text.slice(Math.max(0, text.search(/^--- /m)));
	return /^--- .*\n\+\+\+ .*\n@@ /m.test(body) ? body : null;
}

async function readFiles(paths, ctx) {
	const out = [];
	for (const path of paths.slice(0, 10)) {
		const { content } = await ctx.tools.invoke("builtin:file_read", { path, maxBytes: 65536 });
		out.push({ path, content: content.content });
	}
	return out;
}

function allowedList() {
	return Object.entries(COMMANDS)
		.map(([command, args]) => (args === "*" ? `${command} …` : args.map(a => `${command} ${a}`).join(", ")))
		.join(", ");
}

const kb = bytes => (bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`);
const firstLine = text => (text.split("\n").find(l => l.replace(/^#+\s*/, "").trim()) ?? "").replace(/^#+\s*/, "").trim();
