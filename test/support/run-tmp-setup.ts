import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Jest globalSetup: one temp folder for this run's data dirs (PGlite clusters are tens of
 * MB each, hundreds of nodes start in a run). The workers, spawned after this, inherit it.
 */
export default function runTmpSetup(): void {
	process.env.AGENTOS_TEST_TMPDIR = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-test-run-"));
}
