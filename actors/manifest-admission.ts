import { CAPABILITIES, isCapability } from "../lib/security/capabilities";
import { ManifestInvalidError, ManifestSignatureError } from "./errors";
import { parseManifest } from "./manifest";
import { verifyManifest } from "./manifest-signature";
import type { AgentManifest } from "./manifest-types";

/**
 * A manifest sent to spawn an agent, checked: its signature first when the node wants
 * signed manifests (over the raw input, see manifest-signature.ts), then its fields, then
 * that every permission it asks for is a capability.
 */
export function admitManifest(raw: Record<string, unknown>, signingSecret: string | undefined): AgentManifest {
	if (signingSecret) {
		if (typeof raw.signature !== "string") throw new ManifestSignatureError("missing");
		if (!verifyManifest(raw, signingSecret)) throw new ManifestSignatureError("mismatch");
	}
	const manifest = parseManifest(raw);
	const unknown = manifest.permissions.filter(p => !isCapability(p));
	if (unknown.length) {
		const message = `manifest.permissions has ${unknown.join(", ")}, which ${unknown.length > 1 ? "are not capabilities" : "is not a capability"} (known: ${Object.keys(CAPABILITIES).join(", ")})`;
		throw new ManifestInvalidError(message, [{ field: "permissions", message }]);
	}
	return manifest;
}
