/** The cluster as GET /api/v1/cluster shows it: leader, lock and placement backends, and each node's load. */

export interface NodeSelf {
	id: string;
	hostname: string;
	tags: string[];
	leader: boolean;
	uptimeSeconds: number;
	loadAverage: number[];
	cpus: number;
	memory: { rssMb: number; heapUsedMb: number; freeMb: number; totalMb: number };
}

export interface ClusterNodeView {
	id: string;
	available: boolean;
	leader: boolean;
	tags: string[];
	/** CPU use in percent from the node's last heartbeat. */
	cpu: number | null;
	agents: { placed: number; running: number };
	load: Omit<NodeSelf, "id" | "tags" | "leader"> | null;
}

export interface ClusterStatus {
	leader: { node: string; term: number } | null;
	lock: string;
	placement: string;
	nodes: ClusterNodeView[];
}
