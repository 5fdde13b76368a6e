/** The agent directory: search by words and skill; each agent's profile, state and reputation. */
import { useState } from "preact/hooks";
import type { DirectoryEntry } from "../../../sdk/society";
import { sdk } from "../../api";
import { PagedTable } from "../../components/paged-table";
import { href, type PageProps } from "../../router";

export function DirectoryTab(_props: PageProps) {
	const [q, setQ] = useState("");
	const [skill, setSkill] = useState("");
	return (
		<section aria-label="Directory">
			<div class="toolbar">
				<label>
					Search
					<input type="search" value={q} onInput={e => setQ((e.target as HTMLInputElement).value)} />
				</label>
				<label>
					Skill
					<input value={skill} onInput={e => setSkill((e.target as HTMLInputElement).value)} />
				</label>
			</div>
			<PagedTable<DirectoryEntry>
				caption="Directory"
				rowKey={a => a.id}
				deps={[q, skill]}
				load={({ limit, offset }) => sdk().society.directory.search({ q: q || undefined, skill: skill || undefined, limit, offset })}
				columns={[
					{ key: "name", title: "Agent", render: a => `${a.displayName ?? a.name} (${a.id})` },
					{ key: "bio", title: "About", render: a => <span class="text">{a.bio || a.description || ""}</span> },
					{ key: "skills", title: "Skills", render: a => a.skills.join(", ") },
					{ key: "state", title: "State", render: a => <span class={`state state-${a.state}`}>{a.state}</span> },
					{ key: "reputation", title: "Reputation", render: a => <a href={href("society", "reputation", a.id)}>{a.reputation}</a> }
				]}
			/>
		</section>
	);
}
