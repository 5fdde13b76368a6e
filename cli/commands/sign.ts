import fs from "node:fs";
import { signManifest, verifyManifest } from "../../actors/manifest-signature";
import { expectPositionals, parseArgs, UsageError } from "../args";
import { readManifest } from "./agents";
import { EXIT } from "./common";
import { runLocalCommand } from "./init";

export const SIGN_USAGE = `Usage: agent-os sign MANIFEST.json [--secret S] [--out FILE]
       agent-os sign --verify MANIFEST.json [--secret S]
       The secret is --secret or MANIFEST_SIGNING_SECRET (a .env here is read).`;

/**
 * `agent-os sign`: signs a manifest as written (no defaults filled in, so the signature
 * survives upgrades) with the HMAC the node checks; `--verify` checks a signed one.
 */
export function signCommand(argv: readonly string[]): Promise<number> {
	return runLocalCommand(SIGN_USAGE, argv, () => {
		const args = parseArgs(argv, { strings: ["secret", "out"], booleans: ["verify"] });
		const [file] = expectPositionals(args, ["MANIFEST.json"]);
		if (fs.existsSync(".env")) process.loadEnvFile(".env");
		const secret = args.strings.secret || process.env.MANIFEST_SIGNING_SECRET;
		if (!secret) throw new UsageError("No signing secret: pass --secret or set MANIFEST_SIGNING_SECRET");
		const manifest = readManifest(file);

		if (args.booleans.has("verify")) {
			if (args.strings.out !== undefined) throw new UsageError("--out does not go with --verify");
			if (verifyManifest(manifest, secret)) {
				console.log("signature ok");
				return EXIT.ok;
			}
			console.log(`signature does NOT match${typeof manifest.signature === "string" ? "" : " (the manifest has no signature)"}`);
			// A bad signature is what the node would refuse: the same exit code as a refusal.
			return EXIT.refused;
		}

		const signed = `${JSON.stringify(signManifest(manifest, secret), null, 2)}\n`;
		if (args.strings.out === undefined) {
			process.stdout.write(signed);
			return EXIT.ok;
		}
		try {
			fs.writeFileSync(args.strings.out, signed);
		} catch (err) {
			console.error(`Cannot write ${args.strings.out}: ${(err as Error).message}`);
			return EXIT.usage;
		}
		console.error(`Signed ${file} into ${args.strings.out}`);
		return EXIT.ok;
	});
}
