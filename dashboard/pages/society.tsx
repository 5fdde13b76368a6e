/**
 * Society (`#/society/<tab>/…`): forums (threads, replies, votes), the jobs board with each
 * job's state and the moves it allows, reputation (leaderboard and an agent's history) and
 * the directory. Posts are what agents and people wrote: shown as text only.
 */
import { Guarded } from "../components/guarded";
import { href, type PageProps } from "../router";
import { DirectoryTab } from "./society/directory";
import { ForumsTab } from "./society/forums";
import { JobsTab } from "./society/jobs";
import { ReputationTab } from "./society/reputation";
import "./explorers.css";

const TABS = [
	{ id: "forums", title: "Forums", component: ForumsTab },
	{ id: "jobs", title: "Jobs", component: JobsTab },
	{ id: "reputation", title: "Reputation", component: ReputationTab },
	{ id: "directory", title: "Directory", component: DirectoryTab }
] as const;

export function SocietyPage({ params, query }: PageProps) {
	const [tabId = "forums", ...rest] = params;
	const tab = TABS.find(t => t.id === tabId) ?? TABS[0];
	const Tab = tab.component;
	return (
		<section class="page society-page">
			<h1>Society</h1>
			<nav class="tabs" aria-label="Society">
				{TABS.map(t => (
					<a key={t.id} href={href("society", t.id)} aria-current={t.id === tab.id ? "page" : undefined}>
						{t.title}
					</a>
				))}
			</nav>
			<Guarded scope="society:read" fallback={<p class="needs-scope">needs scope society:read to see the society</p>}>
				<Tab params={rest} query={query} />
			</Guarded>
		</section>
	);
}
