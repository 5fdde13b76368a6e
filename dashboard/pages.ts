/**
 * The console's pages, in nav order: the route id (`#/<id>`), the title, and the component
 * from `pages/<id>.tsx`. A page is one file exporting one component that takes PageProps.
 */
import type { ComponentType } from "preact";
import type { PageProps } from "./router";
import { AgentsPage } from "./pages/agents";
import { ApprovalsPage } from "./pages/approvals";
import { AuditPage } from "./pages/audit";
import { ChatPage } from "./pages/chat";
import { ClusterPage } from "./pages/cluster";
import { GovernancePage } from "./pages/governance";
import { MemoryPage } from "./pages/memory";
import { ModelsPage } from "./pages/models";
import { OverviewPage } from "./pages/overview";
import { SocietyPage } from "./pages/society";
import { TasksPage } from "./pages/tasks";

export interface PageDef {
	id: string;
	title: string;
	component: ComponentType<PageProps>;
}

export const PAGES: PageDef[] = [
	{ id: "overview", title: "Overview", component: OverviewPage },
	{ id: "agents", title: "Agents", component: AgentsPage },
	{ id: "chat", title: "Chat", component: ChatPage },
	{ id: "tasks", title: "Tasks", component: TasksPage },
	{ id: "memory", title: "Memory", component: MemoryPage },
	{ id: "approvals", title: "Approvals", component: ApprovalsPage },
	{ id: "audit", title: "Audit", component: AuditPage },
	{ id: "society", title: "Society", component: SocietyPage },
	{ id: "governance", title: "Governance", component: GovernancePage },
	{ id: "cluster", title: "Cluster", component: ClusterPage },
	{ id: "models", title: "Models", component: ModelsPage }
];
