import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Where a test run keeps its temp dirs: one folder per run (made by run-tmp-setup.ts and
 * removed whole by run-tmp-teardown.ts), so a run leaves nothing behind even when a worker
 * is killed mid-file. A spec run outside Jest's global setup falls back to the temp dir.
 */
export function testTempDir(prefix = "agentos-test-"): string {
	return fs.mkdtempSync(path.join(process.env.AGENTOS_TEST_TMPDIR ?? os.tmpdir(), prefix));
}
