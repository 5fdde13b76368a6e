import { candidatesFor, leastAgents, leastCpu, parseNodeTags, place, placeAll, rebalance, resolveStrategy, type NodeLoad } from "../../lib/cluster/placement";

const node = (nodeID: string, agents: number, cpu: number | null = null, tags: string[] = []): NodeLoad => ({ nodeID, agents, cpu, tags });

describe("placement strategies", () => {
	it("least-agents picks the node with the fewest agents, breaking ties by CPU then name", () => {
		expect(place([node("a", 3), node("b", 1), node("c", 2)], { agentId: "x" }, leastAgents)?.nodeID).toBe("b");
		expect(place([node("a", 1, 50), node("b", 1, 10)], { agentId: "x" }, leastAgents)?.nodeID).toBe("b");
		expect(place([node("b", 1), node("a", 1)], { agentId: "x" }, leastAgents)?.nodeID).toBe("a");
	});

	it("least-cpu picks the idlest node; a node not yet reporting counts as idle", () => {
		expect(place([node("a", 0, 80), node("b", 9, 5), node("c", 0, 40)], { agentId: "x" }, leastCpu)?.nodeID).toBe("b");
		expect(place([node("a", 0, 80), node("b", 5, null)], { agentId: "x" }, leastCpu)?.nodeID).toBe("b");
	});

	it("honours node tags: only nodes with every wanted tag are candidates", () => {
		const nodes = [node("a", 0, null, ["eu"]), node("b", 5, null, ["gpu", "eu"]), node("c", 9, null, ["gpu"])];
		expect(place(nodes, { agentId: "x", nodeTags: ["gpu"] }, leastAgents)?.nodeID).toBe("b");
		expect(place(nodes, { agentId: "x", nodeTags: ["gpu", "eu"] }, leastAgents)?.nodeID).toBe("b");
		expect(place(nodes, { agentId: "x", nodeTags: ["tpu"] }, leastAgents)).toBeUndefined();
	});

	it("avoids the node an agent leaves, unless it is the only one allowed", () => {
		expect(candidatesFor([node("a", 0), node("b", 4)], { agentId: "x", avoid: ["a"] }).map(n => n.nodeID)).toEqual(["b"]);
		expect(candidatesFor([node("a", 0, null, ["gpu"]), node("b", 0)], { agentId: "x", nodeTags: ["gpu"], avoid: ["a"] }).map(n => n.nodeID)).toEqual(["a"]);
	});

	it("spreads a batch: each choice counts the agents placed before it", () => {
		const placed = placeAll([node("a", 0), node("b", 0), node("c", 3)], Array.from({ length: 9 }, (_, i) => ({ agentId: `x${i}` })), leastAgents);
		const per = (id: string) => [...placed.values()].filter(n => n === id).length;
		expect([per("a"), per("b"), per("c")]).toEqual([4, 4, 1]);
	});

	it("leaves out agents no node can take", () => {
		const placed = placeAll([node("a", 0)], [{ agentId: "x", nodeTags: ["gpu"] }, { agentId: "y" }], leastAgents);
		expect([...placed]).toEqual([["y", "a"]]);
	});

	it("rebalances onto a node that joined until counts differ by at most one", () => {
		const moves = rebalance(
			[node("a", 4), node("b", 4), node("c", 0)],
			new Map([
				["a", ["a1", "a2", "a3", "a4"].map(agentId => ({ agentId }))],
				["b", ["b1", "b2", "b3", "b4"].map(agentId => ({ agentId }))]
			])
		);
		expect(moves).toHaveLength(2);
		expect(moves.every(m => m.to === "c")).toBe(true);
		expect(new Set(moves.map(m => m.from))).toEqual(new Set(["a", "b"]));
	});

	it("does not move an agent to a node that lacks its tags", () => {
		const moves = rebalance([node("a", 3, null, ["gpu"]), node("b", 0)], new Map([["a", [1, 2, 3].map(i => ({ agentId: `g${i}`, nodeTags: ["gpu"] }))]]));
		expect(moves).toEqual([]);
	});

	it("resolves strategies by name and refuses unknown ones", () => {
		expect(resolveStrategy("least-cpu")).toBe(leastCpu);
		expect(() => resolveStrategy("random")).toThrow(/Unknown placement strategy "random"/);
		expect(() => resolveStrategy("random")).toThrow(expect.objectContaining({ type: "CONFIG_INVALID", key: "CLUSTER_PLACEMENT" }));
	});

	it("reads NODE_TAGS", () => {
		expect(parseNodeTags(" gpu, eu ,,gpu")).toEqual(["gpu", "eu"]);
		expect(parseNodeTags(undefined)).toEqual([]);
	});
});
