/**
 * Governance: policies (with an editor that marks syntax errors and dry-runs), cases with
 * their evidence, sanctions, appeals and the incident lockdown, one tab each
 * (`#/governance/<tab>`). Importing ../lockdown starts the lockdown banner for every page.
 */
import "../lockdown";
import "../governance/console-pages.css";
import type { ComponentType } from "preact";
import { lockdown } from "../lockdown";
import { href, type PageProps } from "../router";
import { AppealsView } from "../governance/appeals";
import { CasesView } from "../governance/cases";
import { LockdownPanel } from "../governance/lockdown-panel";
import { PoliciesView } from "../governance/policies";
import { SanctionsView } from "../governance/sanctions";

const TABS: { id: string; title: string; view: ComponentType }[] = [
	{ id: "policies", title: "Policies", view: PoliciesView },
	{ id: "cases", title: "Cases", view: CasesView },
	{ id: "sanctions", title: "Sanctions", view: SanctionsView },
	{ id: "appeals", title: "Appeals", view: AppealsView },
	{ id: "lockdown", title: "Lockdown", view: LockdownPanel }
];

export function GovernancePage({ params }: PageProps) {
	const tab = TABS.find(t => t.id === params[0]) ?? TABS[0];
	const View = tab.view;
	return (
		<section class="page">
			<h1>Governance</h1>
			<nav class="tabs" aria-label="Governance sections">
				{TABS.map(t => (
					<a key={t.id} href={href("governance", t.id)} aria-current={t.id === tab.id ? "page" : undefined}>
						{t.title}
						{t.id === "lockdown" && lockdown.value ? " (active)" : ""}
					</a>
				))}
			</nav>
			<View key={tab.id} />
		</section>
	);
}
