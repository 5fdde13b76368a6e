import fs from "node:fs";

/** Jest globalTeardown: removes the run's temp folder (see run-tmp-setup.ts). */
export default function runTmpTeardown(): void {
	const dir = process.env.AGENTOS_TEST_TMPDIR;
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
