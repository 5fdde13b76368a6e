import fs from "node:fs";
import path from "node:path";
import type { BrokerOptions } from "moleculer";
import { DEFAULT_AGENTS, type BootstrapResult } from "../lib/bootstrap/default-agents";
import { loadConfig } from "../lib/kernel/config";
import { startNode, type AgentOSNode } from "../app/node";

const BANNER_WAIT_MS = 5000;
/** How long the banner waits for the default agents to be deployed (well under a second on an idle machine). */
const AGENTS_WAIT_MS = 15000;

/**
 * `agent-os start`: boots a node, prints where to go next, and stops cleanly on
 * SIGINT/SIGTERM (a second signal exits at once).
 */
export async function start(): Promise<void> {
	const { node, ready, agents } = await bootNode({}, installSignalHandlers);
	printBanner(node, ready, "Ctrl-C", agents);
}

/** What `work` gives within `ms`; undefined if it fails or takes longer. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
	return Promise.race([work.catch(() => undefined), new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), ms).unref())]);
}

/**
 * Boots a node from the environment as `start` does, without signal handlers (the REPL
 * stops its own way). `onStarted` runs once the broker is up, before the wait for the
 * database (and then the default agents); a database that can never be ready stops the
 * node and exits 1.
 */
export async function bootNode(
	brokerOverrides: Partial<BrokerOptions> = {},
	onStarted: (node: AgentOSNode) => void = () => undefined
): Promise<{ node: AgentOSNode; ready: boolean; agents: BootstrapResult | null | undefined }> {
	// A .env in the working directory fills in what the real environment leaves unset.
	if (fs.existsSync(".env")) process.loadEnvFile(".env");
	const config = loadConfig(process.env);
	const node = await startNode(config, brokerOverrides);
	onStarted(node);

	const outcome = await Promise.race([
		node.ready.then(() => "ready" as const),
		new Promise<"waiting">(resolve => setTimeout(() => resolve("waiting"), BANNER_WAIT_MS).unref())
	]).catch((err: Error) => {
		console.error(`AgentOS cannot start: ${err.message}`);
		return "failed" as const;
	});
	if (outcome === "failed") {
		await node.stop();
		process.exit(1);
	}
	// The default agents log as they start: waiting for them keeps the banner the last thing printed.
	const agents = outcome === "ready" ? await within(node.defaultAgents, AGENTS_WAIT_MS) : undefined;
	return { node, ready: outcome === "ready", agents };
}

/** `stop` says how to stop this process; `agents`, what became of the default agents (undefined: not known yet). */
export function printBanner(node: AgentOSNode, ready: boolean, stop = "Ctrl-C", agents?: BootstrapResult | null): void {
	const { config } = node.kernel;
	const url = node.url() ?? `http://${config.HOST}:${config.PORT}`;
	const storage = config.DATABASE_URL ? "PostgreSQL" : `PGlite in ${path.resolve(config.AGENTOS_DATA_DIR)}`;
	const cluster = config.TRANSPORTER ? "cluster member" : "single node";
	const { adminToken } = node;
	const token =
		adminToken.source === "generated"
			? `${adminToken.token}  (generated now; kept in ${adminToken.file})`
			: adminToken.source === "stored"
				? `kept in ${adminToken.file}`
				: "from GATEWAY_AUTH_TOKEN";
	const tokenArg = adminToken.source === "env" ? "$GATEWAY_AUTH_TOKEN" : `$(cat ${adminToken.file})`;
	// The token rides in the fragment, which the browser never sends; like the token itself,
	// the link is printed only on the boot that generated it.
	const signIn =
		adminToken.source === "generated"
			? `${url}/#token=${encodeURIComponent(adminToken.token)}`
			: `open ${url}/ and paste the API token (${adminToken.source === "env" ? "GATEWAY_AUTH_TOKEN" : `from ${adminToken.file}`})`;
	const lines = [
		"",
		`AgentOS ${node.kernel.version} — node ${node.broker.nodeID} (${storage}, ${cluster})`,
		ready ? "" : "  The database is not ready yet; the node keeps retrying (see GET /health).",
		`  Gateway    ${url}`,
		`  Console    ${url}/`,
		`  Sign in    ${signIn}`,
		`  Health     curl ${url}/health`,
		`  Metrics    curl ${url}/metrics`,
		`  API token  ${token}`,
		`  Try        curl -H "Authorization: Bearer ${tokenArg}" ${url}/api/v1/node`,
		config.AGENTOS_BOOTSTRAP_AGENTS ? `  Agents     ${defaultAgentsLine(agents)}` : "",
		`  Stop       ${stop}`,
		""
	];
	console.log(lines.filter(l => l !== "").join("\n") + "\n");
}

/** The default agents that are there, and those that are not with why (the log has the whole reason). */
function defaultAgentsLine(agents: BootstrapResult | null | undefined): string {
	const note = `(the default agents; see the README, "Default agents")`;
	if (!agents) return `${DEFAULT_AGENTS.join(", ")} ${note}`;
	const there = [...agents.deployed, ...agents.kept];
	const missing = agents.failed.map(f => f.id);
	if (missing.length === 0) return `${there.join(", ")} ${note}`;
	return `${there.length ? `${there.join(", ")}; ` : ""}not deployed: ${missing.join(", ")} (the log says why)`;
}

function installSignalHandlers(node: AgentOSNode): void {
	let signalled = false;
	const onSignal = (signal: NodeJS.Signals) => {
		if (signalled) process.exit(1);
		signalled = true;
		node.broker.logger.info(`${signal} received; stopping (in-flight requests may take up to ${node.kernel.config.SHUTDOWN_TIMEOUT_MS} ms)`);
		node.stop().then(
			() => process.exit(0),
			err => {
				console.error(`Stopping failed: ${(err as Error).message}`);
				process.exit(1);
			}
		);
	};
	process.on("SIGINT", onSignal);
	process.on("SIGTERM", onSignal);
	process.on("unhandledRejection", reason => node.broker.logger.error("Unhandled promise rejection", reason));
}
