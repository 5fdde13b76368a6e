import fs from "node:fs";
import path from "node:path";
import { canonicalJson } from "../kernel/canonical-json";
import type { AuditKey } from "./audit-hash";

/**
 * The head of the chain as a node saw it, signed with the audit key and kept outside the
 * database (the data dir, the log, the other nodes): rows the database no longer has
 * (truncation) or rows added without the key after it are found against it.
 */
export interface AuditCheckpoint {
	/** The database's chain id (audit_chain): checkpoints of another database do not apply. */
	chain: string;
	seq: number;
	hash: string;
	/** The last row written before the chain was keyed (0: none); a later unkeyed row is a forgery. */
	legacyUntil: number;
	at: string;
	node: string;
	keyId: string;
	sig: string;
}

export type UnsignedCheckpoint = Omit<AuditCheckpoint, "keyId" | "sig">;

/** What `offer` did with a checkpoint. */
export type CheckpointOffer = "kept" | "not-newer" | "other-key" | "bad-signature";

interface StoreFile {
	/** The chain this node writes to: its checkpoints must not vanish by renaming the chain. */
	home?: string;
	chains: Record<string, AuditCheckpoint>;
}

const DOMAIN = "agentos audit checkpoint\n";

export function signCheckpoint(key: AuditKey, cp: UnsignedCheckpoint): AuditCheckpoint {
	const unsigned = { ...cp, keyId: key.id };
	return { ...unsigned, sig: key.mac(DOMAIN + canonicalJson(unsigned)) };
}

export function checkpointSignedBy(key: AuditKey, cp: AuditCheckpoint): boolean {
	const { sig, ...unsigned } = cp;
	return cp.keyId === key.id && typeof sig === "string" && key.verifies(DOMAIN + canonicalJson(unsigned), sig);
}

/** The newest checkpoint of each chain, in one JSON file in the data dir (mode 0600, replaced atomically). */
export class CheckpointStore {
	private state: StoreFile;

	constructor(readonly file: string) {
		this.state = read(file);
	}

	latest(chain: string): AuditCheckpoint | undefined {
		return this.state.chains[chain];
	}

	get home(): string | undefined {
		return this.state.home;
	}

	set home(chain: string) {
		if (this.state.home === chain) return;
		this.state.home = chain;
		this.save();
	}

	/** Keeps `cp` when it is signed with `key` and newer than what is kept for its chain. */
	offer(key: AuditKey, cp: AuditCheckpoint): CheckpointOffer {
		if (cp.keyId !== key.id) return "other-key";
		if (!checkpointSignedBy(key, cp)) return "bad-signature";
		const kept = this.state.chains[cp.chain];
		if (kept && kept.seq >= cp.seq) return "not-newer";
		this.state.chains[cp.chain] = cp;
		this.save();
		return "kept";
	}

	private save(): void {
		fs.mkdirSync(path.dirname(this.file), { recursive: true });
		const tmp = `${this.file}.${process.pid}.tmp`;
		fs.writeFileSync(tmp, `${JSON.stringify(this.state, null, 1)}\n`, { mode: 0o600 });
		fs.renameSync(tmp, this.file);
	}
}

function read(file: string): StoreFile {
	try {
		const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StoreFile>;
		return { home: parsed.home, chains: parsed.chains ?? {} };
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code === "ENOENT") return { chains: {} };
		throw new Error(`The audit checkpoint file ${file} cannot be read (${(err as Error).message}); move it aside to start a new one`, { cause: err });
	}
}
