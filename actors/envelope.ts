import crypto from "node:crypto";
import { canonicalJson } from "../lib/kernel/canonical-json";
import { EnvelopeInvalidError } from "./errors";

/** How far an envelope's clock may be from ours, and how long a nonce is remembered. */
export const ENVELOPE_MAX_AGE_MS = 60_000;

export interface Envelope {
	from: string;
	to: string;
	node: string;
	task: unknown;
	nonce: string;
	ts: number;
	sig: string;
}

/**
 * Agent-to-agent tasks travel in an envelope signed by the sending node with the
 * cluster secret, so a receiver knows which agent sent it, and refuses one it has seen
 * before (replay) or one too old or from the future (stale).
 */
export class EnvelopeSigner {
	private readonly seen = new Map<string, number>();

	constructor(private readonly secret: string) {}

	seal(from: string, to: string, node: string, task: unknown, now = Date.now()): Envelope {
		const body = { from, to, node, task, nonce: crypto.randomBytes(16).toString("hex"), ts: now };
		return { ...body, sig: this.sign(body) };
	}

	/** Returns the envelope when it is genuine, fresh, for `to`, and not seen before; throws otherwise. */
	open(envelope: Envelope, to: string, now = Date.now()): Envelope {
		const { sig, ...body } = envelope ?? ({} as Envelope);
		if (typeof sig !== "string" || typeof body.nonce !== "string" || typeof body.ts !== "number") throw new EnvelopeInvalidError("malformed envelope");
		const expected = Buffer.from(this.sign(body), "hex");
		const given = Buffer.from(sig, "hex");
		if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw new EnvelopeInvalidError("bad signature");
		if (body.to !== to) throw new EnvelopeInvalidError(`addressed to ${body.to}, not ${to}`);
		if (Math.abs(now - body.ts) > ENVELOPE_MAX_AGE_MS) throw new EnvelopeInvalidError("stale envelope");
		this.forgetOld(now);
		if (this.seen.has(body.nonce)) throw new EnvelopeInvalidError("replayed envelope");
		this.seen.set(body.nonce, body.ts);
		return envelope;
	}

	private sign(body: Omit<Envelope, "sig">): string {
		return crypto.createHmac("sha256", this.secret).update(canonicalJson(body)).digest("hex");
	}

	private forgetOld(now: number): void {
		for (const [nonce, ts] of this.seen) {
			if (now - ts <= ENVELOPE_MAX_AGE_MS * 2) break; // insertion order ≈ time order
			this.seen.delete(nonce);
		}
	}
}
