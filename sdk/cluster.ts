/**
 * The cluster and its scheduled jobs over REST. Reached by wrapping a client's request:
 * `new ClusterClient((method, path, body) => client.request(method, path, body))`.
 */
import type { CreateScheduleParams, RunView, ScheduleView } from "../lib/cluster/schedule-store";
import type { ClusterStatus } from "../lib/cluster/cluster-view";

export type { CreateScheduleParams, RunView, ScheduleTarget, ScheduleView } from "../lib/cluster/schedule-store";
export type { ClusterNodeView, ClusterStatus } from "../lib/cluster/cluster-view";

type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

const API = "/api/v1";
const seg = (id: string) => encodeURIComponent(id);

export class ClusterClient {
	constructor(private readonly request: Request) {}

	/** Nodes, their load and agent counts, and the leader. */
	status(): Promise<ClusterStatus> {
		return this.request("GET", `${API}/cluster`);
	}

	readonly schedules = {
		create: (schedule: CreateScheduleParams): Promise<ScheduleView> => this.request("POST", `${API}/schedules`, schedule),
		list: (): Promise<{ items: ScheduleView[]; total: number }> => this.request("GET", `${API}/schedules`),
		get: (id: string): Promise<ScheduleView> => this.request("GET", `${API}/schedules/${seg(id)}`),
		pause: (id: string): Promise<ScheduleView> => this.request("POST", `${API}/schedules/${seg(id)}/pause`),
		resume: (id: string): Promise<ScheduleView> => this.request("POST", `${API}/schedules/${seg(id)}/resume`),
		trigger: (id: string): Promise<RunView> => this.request("POST", `${API}/schedules/${seg(id)}/trigger`),
		runs: (id: string, limit?: number): Promise<RunView[]> => this.request("GET", `${API}/schedules/${seg(id)}/runs${limit ? `?limit=${limit}` : ""}`),
		remove: (id: string): Promise<ScheduleView> => this.request("DELETE", `${API}/schedules/${seg(id)}`)
	};
}
