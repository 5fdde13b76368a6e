import os from "node:os";
import type { Logger } from "moleculer";
import type { Config } from "./config";
import { openDatabase, type Database } from "./database";
import { MigrationError } from "./errors";
import { migrate, readMigrations } from "./migrations";
import { migrationsDir, packageVersion } from "./paths";
import { createVectorStore, type VectorStore } from "./vector";

export type SubsystemState = "ready" | "connecting" | "down" | "failed" | "disabled";

export interface SubsystemStatus {
	state: SubsystemState;
	/** Which implementation serves it (pglite, postgres, pgvector, nats, …). */
	kind: string;
	/** The reason when it is not ready, for a person to act on. Never holds a secret. */
	error?: string;
}

const FIRST_RETRY_MS = 500;

/**
 * Layer 1: the node's storage and its state. Opening never waits for a database server;
 * `start()` connects and migrates in the background, retrying with backoff while the
 * server is unreachable, and `databaseStatus()` says where it stands.
 */
export class Kernel {
	readonly startedAt = new Date();
	readonly version = packageVersion();
	private dbState: SubsystemStatus;
	private instanceIdValue: string | undefined;
	private retryTimer: NodeJS.Timeout | undefined;
	private closed = false;
	private readyPromise: Promise<void> | undefined;

	private constructor(
		readonly config: Config,
		readonly db: Database,
		readonly vectors: VectorStore,
		private readonly logger: Logger,
		readonly nodeID: string
	) {
		this.dbState = { state: "connecting", kind: db.kind };
	}

	static async open(config: Config, logger: Logger, nodeID: string): Promise<Kernel> {
		const db = await openDatabase(config, err => logger.warn(`Idle database connection failed: ${err.message}`));
		return new Kernel(config, db, createVectorStore(config, db), logger, nodeID);
	}

	/** The installation's id, the same on every node and across restarts (once the database is ready). */
	get instanceId(): string | undefined {
		return this.instanceIdValue;
	}

	databaseStatus(): SubsystemStatus {
		return { ...this.dbState };
	}

	/**
	 * Connects and migrates. Resolves once the database is ready; keeps retrying while it
	 * is unreachable; rejects only when it can never become ready (a broken migration).
	 */
	start(): Promise<void> {
		this.readyPromise ??= new Promise((resolve, reject) => {
			const attempt = async (n: number): Promise<void> => {
				if (this.closed) return;
				try {
					await this.connect();
					this.dbState = { state: "ready", kind: this.db.kind };
					resolve();
				} catch (err) {
					if (err instanceof MigrationError) {
						this.dbState = { state: "failed", kind: this.db.kind, error: err.message };
						this.logger.error(err.message);
						return reject(err);
					}
					const delay = Math.min(FIRST_RETRY_MS * 2 ** n, this.config.DATABASE_RETRY_MAX_MS) * (0.75 + Math.random() * 0.5);
					const reason = (err as Error).message;
					this.dbState = { state: n === 0 ? "connecting" : "down", kind: this.db.kind, error: reason };
					this.logger.warn(`Database not ready (${reason}); retrying in ${Math.round(delay)} ms`);
					this.retryTimer = setTimeout(() => void attempt(n + 1), delay);
				}
			};
			void attempt(0);
		});
		return this.readyPromise;
	}

	/** A live check: the last known state, corrected by asking the database now. */
	async checkDatabase(timeoutMs = 2000): Promise<SubsystemStatus> {
		if (this.dbState.state !== "ready") return this.databaseStatus();
		try {
			await this.db.ping(timeoutMs);
			return this.databaseStatus();
		} catch (err) {
			return { state: "down", kind: this.db.kind, error: (err as Error).message };
		}
	}

	async checkVectors(): Promise<SubsystemStatus> {
		if (this.vectors.kind === "pgvector" && this.dbState.state !== "ready") {
			return { state: "connecting", kind: "pgvector", error: "waiting for the database" };
		}
		try {
			await this.vectors.ping();
			return { state: "ready", kind: this.vectors.kind };
		} catch (err) {
			return { state: "down", kind: this.vectors.kind, error: (err as Error).message };
		}
	}

	async close(): Promise<void> {
		this.closed = true;
		clearTimeout(this.retryTimer);
		if (this.dbState.state === "ready") {
			await this.db
				.query("UPDATE kernel_nodes SET last_seen_at = now() WHERE node_id = $1", [this.nodeID])
				.catch(err => this.logger.warn(`Could not record the node's stop: ${(err as Error).message}`));
		}
		await this.vectors.close();
		await this.db.close();
	}

	private async connect(): Promise<void> {
		await this.db.ping(5000);
		const applied = await migrate(this.db, readMigrations(migrationsDir()));
		if (applied.length) this.logger.info(`Applied migrations: ${applied.join(", ")}`);
		const { rows } = await this.db.query<{ value: string }>("SELECT value FROM kernel_meta WHERE key = 'instance_id'");
		this.instanceIdValue = rows[0]?.value;
		await this.db.query(
			`INSERT INTO kernel_nodes (node_id, hostname, version, started_at) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (node_id) DO UPDATE SET hostname = $2, version = $3, started_at = $4, last_seen_at = now()`,
			[this.nodeID, os.hostname(), this.version, this.startedAt]
		);
	}
}
