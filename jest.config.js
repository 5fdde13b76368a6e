const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
/**
 * Three projects: unit (no servers), integration (real Postgres, Redis, NATS, started
 * by the tests themselves) and e2e (the built product, driven as a user drives it).
 * PGlite is loaded through dynamic import, which needs --experimental-vm-modules;
 * the test scripts set it.
 */
const transform = { "^.+\\.ts$": ["@swc/jest"] };

/**
 * jose (which @a2a-js/sdk's CommonJS build requires) ships ES modules only. Node loads
 * them through require; Jest's module system cannot, so tests get the same jose bundled
 * as CommonJS (esbuild, once per run).
 */
function joseAsCommonJs() {
	const out = path.join(os.tmpdir(), `agentos-jest-jose-${require("jose/package.json").version}.cjs`);
	if (!fs.existsSync(out)) require("esbuild").buildSync({ entryPoints: [require.resolve("jose")], bundle: true, format: "cjs", platform: "node", outfile: out, logLevel: "error" });
	return out;
}
const moduleNameMapper = { "^jose$": joseAsCommonJs() };

module.exports = {
	testTimeout: 60000,
	// One test file at a time (the suites start real servers and time real failovers), in a
	// worker process that is replaced once a file leaves it above the limit: run in the main
	// process instead, the suite's leftovers would accumulate until the heap runs out.
	maxWorkers: 1,
	workerIdleMemoryLimit: "1GB",
	// The run's data dirs live in one temp folder, removed when the run ends.
	globalSetup: "<rootDir>/test/support/run-tmp-setup.ts",
	globalTeardown: "<rootDir>/test/support/run-tmp-teardown.ts",
	projects: [
		{ displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.spec.ts"], transform, moduleNameMapper },
		{
			displayName: "integration",
			testMatch: ["<rootDir>/test/integration/**/*.spec.ts"],
			transform,
			moduleNameMapper,
			globalSetup: "<rootDir>/test/support/global-setup.ts"
		},
		{ displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.spec.ts"], transform, moduleNameMapper }
	]
};
