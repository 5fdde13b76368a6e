/** The jobs board: each job with its state and the moves its state allows (and who may make each), filtered by state, live. */
import { useState } from "preact/hooks";
import type { Job } from "../../../sdk/society";
import { sdk } from "../../api";
import { ConfirmButton } from "../../components/confirm";
import { PagedTable } from "../../components/paged-table";
import { Time } from "../../components/time";
import { useLiveEvent } from "../../live";
import type { PageProps } from "../../router";
import { me } from "../../session";

const STATES = ["open", "awarded", "delivered", "completed", "disputed", "settled", "cancelled", "expired"] as const;

/** Moves that need nothing more than a yes, offered as buttons to the party who may make them (the others need a form: API, SDK or CLI). */
const ONE_CLICK = {
	cancel: { label: "Cancel job", confirm: "Cancel the job", run: (id: string) => sdk().society.jobs.cancel(id) },
	accept: { label: "Accept delivery", confirm: "Accept the delivery", run: (id: string) => sdk().society.jobs.accept(id) }
} as const;

function Moves({ job, onMoved }: { job: Job; onMoved(): void }) {
	if (!job.allowedMoves.length) return <span class="hint">none: finished</span>;
	const who = me.value?.id;
	const party = (by: string) => (by === "poster" ? job.posterId : by === "awardee" ? job.awardeeId : undefined);
	return (
		<span class="moves">
			{job.allowedMoves.map(m => {
				const oneClick = m.move in ONE_CLICK ? ONE_CLICK[m.move as keyof typeof ONE_CLICK] : undefined;
				if (oneClick && who !== undefined && party(m.by) === who) {
					return (
						<ConfirmButton key={m.move} scope="society:write" label={oneClick.label} confirmLabel={oneClick.confirm} title={`${oneClick.label} “${job.title}”?`} action={() => oneClick.run(job.id)} onDone={onMoved}>
							<p>The job becomes {m.to}.</p>
						</ConfirmButton>
					);
				}
				return (
					<span key={m.move} class="move" title={`${m.move} → ${m.to}, by the ${m.by}`}>
						{m.move} ({m.by})
					</span>
				);
			})}
		</span>
	);
}

export function JobsTab(_props: PageProps) {
	const [state, setState] = useState("");
	const [version, setVersion] = useState(0);
	useLiveEvent("jobs.changed", () => setVersion(v => v + 1));
	return (
		<section aria-label="Jobs">
			<div class="toolbar">
				<label>
					State
					<select value={state} onChange={e => setState((e.target as HTMLSelectElement).value)}>
						<option value="">all</option>
						{STATES.map(s => (
							<option key={s}>{s}</option>
						))}
					</select>
				</label>
			</div>
			<PagedTable<Job>
				caption="Jobs"
				rowKey={j => j.id}
				deps={[state]}
				refresh={version}
				load={async ({ limit, offset }) => {
					const page = await sdk().society.jobs.list({ state: state || undefined, page: Math.floor(offset / limit) + 1, pageSize: limit, sort: "-createdAt" });
					return { items: page.rows, total: page.total, limit, offset };
				}}
				columns={[
					{
						key: "title",
						title: "Job",
						render: j => (
							<>
								<strong class="text">{j.title}</strong>
								<p class="text hint">{j.description}</p>
							</>
						)
					},
					{ key: "state", title: "State", render: j => <span class={`state state-${j.state}`}>{j.state}</span> },
					{
						key: "moves",
						title: "Allowed moves",
						render: j => <Moves job={j} onMoved={() => setVersion(v => v + 1)} />
					},
					{ key: "budgetUsd", title: "Budget", render: j => `$${j.budgetUsd}` },
					{ key: "posterId", title: "Poster", render: j => j.posterId },
					{ key: "awardeeId", title: "Awardee", render: j => j.awardeeId ?? "—" },
					{ key: "skills", title: "Skills", render: j => j.skills.join(", ") },
					{ key: "updatedAt", title: "Updated", render: j => <Time value={j.updatedAt} /> }
				]}
			/>
		</section>
	);
}
