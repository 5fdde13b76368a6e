import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian/Ubuntu put the versioned PostgreSQL server binaries. */
const PG_ROOT = "/usr/lib/postgresql";
const PG_BINARIES = ["initdb", "pg_ctl", "postgres"];

/** Extra places to look, for sbin dirs that are not on a non-root PATH. */
const EXTRA_DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"];

function isExecutable(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** Full path of an executable on PATH (or in the usual system dirs), or undefined. */
export function findExecutable(name: string): string | undefined {
	const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean).concat(EXTRA_DIRS);
	for (const dir of dirs) {
		const file = join(dir, name);
		if (isExecutable(file)) return file;
	}
	return undefined;
}

/** Version-sorted (highest first) /usr/lib/postgresql/<v>/bin dirs that hold all server binaries. */
function postgresBinDirs(): string[] {
	let versions: string[];
	try {
		versions = readdirSync(PG_ROOT);
	} catch {
		return [];
	}
	return versions
		.sort((a, b) => parseFloat(b) - parseFloat(a))
		.map((v) => join(PG_ROOT, v, "bin"))
		.filter((dir) => PG_BINARIES.every((bin) => isExecutable(join(dir, bin))));
}

/**
 * The PostgreSQL server bin dir (highest installed version). We use the
 * versioned dir rather than PATH because Debian only puts wrappers/shims on
 * PATH, and `postgres` itself is never there.
 */
export function postgresBinDir(): string {
	const dir = postgresBinDirs()[0];
	if (dir === undefined) {
		throw new Error(
			`PostgreSQL server binaries (${PG_BINARIES.join(", ")}) not found under ${PG_ROOT}/*/bin. ` +
				"Install them with: apt-get install -y postgresql",
		);
	}
	return dir;
}

interface Requirement {
	what: string;
	aptPackage: string;
	present: () => boolean;
}

const REQUIREMENTS: Requirement[] = [
	{ what: "PostgreSQL server", aptPackage: "postgresql", present: () => postgresBinDirs().length > 0 },
	{ what: "redis-server", aptPackage: "redis-server", present: () => findExecutable("redis-server") !== undefined },
	{ what: "nats-server", aptPackage: "nats-server", present: () => findExecutable("nats-server") !== undefined },
];

let checked = false;
let aptUpdated = false;

function aptInstall(apt: string, pkg: string): void {
	const run = (args: string[]): void => {
		execFileSync(apt, args, {
			stdio: ["ignore", "ignore", "pipe"],
			env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
		});
	};
	try {
		run(["install", "-y", "-q", pkg]);
	} catch (err) {
		// A fresh container often has no package lists yet: refresh once, then retry.
		if (aptUpdated) throw err;
		aptUpdated = true;
		run(["update", "-q"]);
		run(["install", "-y", "-q", pkg]);
	}
}

/**
 * Make sure the real servers the integration tests start are installed.
 * Installs missing ones via apt-get when we are root; otherwise fails loudly
 * with the exact install command (never skips silently).
 */
export function ensureServerBinaries(): void {
	if (checked) return;
	const missing = REQUIREMENTS.filter((r) => !r.present());
	if (missing.length > 0) {
		// Only root can apt-get install; anyone else gets told what to install.
		const apt = process.getuid?.() === 0 ? findExecutable("apt-get") : undefined;
		for (const req of missing) {
			const command = `apt-get install -y ${req.aptPackage}`;
			if (apt === undefined) {
				throw new Error(`${req.what} is not installed; integration tests need it. Install it with: ${command}`);
			}
			process.stderr.write(`[test servers] ${req.what} missing: running apt-get install -y -q ${req.aptPackage}\n`);
			try {
				aptInstall(apt, req.aptPackage);
			} catch (err) {
				const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? "";
				throw new Error(`Failed to install ${req.what} (${command}): ${stderr || String(err)}`, { cause: err });
			}
			if (!req.present()) {
				throw new Error(`${req.what} still not found after ${command}`);
			}
		}
	}
	checked = true;
}

/** Where Debian's `chromium` package puts the browser, unless CHROMIUM_PATH says otherwise. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Make sure Chromium is installed for the browser tests (browser_snapshot): installs
 * Debian's `chromium` via apt-get when we are root; otherwise fails loudly with the
 * exact install command (never skips silently). Returns the executable's path.
 */
export function ensureChromium(): string {
	if (isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
	const command = "apt-get install -y chromium";
	if (process.env.CHROMIUM_PATH !== undefined) {
		throw new Error(`CHROMIUM_PATH=${CHROMIUM_PATH} is not an executable; unset it or install Chromium with: ${command}`);
	}
	const apt = process.getuid?.() === 0 ? findExecutable("apt-get") : undefined;
	if (apt === undefined) {
		throw new Error(`Chromium is not installed; the browser tests need it. Install it with: ${command}`);
	}
	process.stderr.write("[test servers] Chromium missing: running apt-get install -y -q chromium\n");
	try {
		aptInstall(apt, "chromium");
	} catch (err) {
		const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? "";
		throw new Error(`Failed to install Chromium (${command}): ${stderr || String(err)}`, { cause: err });
	}
	if (!isExecutable(CHROMIUM_PATH)) throw new Error(`Chromium still not found at ${CHROMIUM_PATH} after ${command}`);
	return CHROMIUM_PATH;
}
