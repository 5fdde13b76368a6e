import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const FIXTURES = "test/fixtures/lint";

interface LintMessage {
	ruleId: string | null;
	message: string;
}
interface LintResult {
	filePath: string;
	messages: LintMessage[];
}

/** Runs the project's ESLint (as `npm run lint` does) on fixture files, which the normal run ignores. */
function lint(files: string[]): { status: number | null; results: Map<string, LintMessage[]> } {
	const bin = path.join(root, "node_modules/eslint/bin/eslint.js");
	const run = spawnSync(process.execPath, [bin, "--no-ignore", "--format", "json", ...files.map(f => `${FIXTURES}/${f}`)], { cwd: root, encoding: "utf8" });
	if (!run.stdout) throw new Error(`eslint printed nothing: ${run.stderr}`);
	const results = JSON.parse(run.stdout) as LintResult[];
	return { status: run.status, results: new Map(results.map(r => [path.relative(path.join(root, FIXTURES), r.filePath), r.messages])) };
}

describe("layering is checked by lint", () => {
	const upward = [
		"lib/kernel/imports-the-model-layer.ts",
		"lib/mal/imports-the-runtime.ts",
		"lib/framework/imports-a-service.ts",
		"actors/imports-the-security-guard.ts",
		"actors/imports-society-methods.ts",
		"actors/imports-governance.ts",
		"lib/security/imports-the-composition-root.ts",
		"sdk/imports-a-service.ts",
		"lib/unlisted/imports-a-service.ts"
	];

	it("fails on every upward import, naming the layer rule", () => {
		const { status, results } = lint(upward);
		expect(status).toBe(1);
		for (const file of upward) {
			const messages = results.get(file) ?? [];
			expect({ file, rules: messages.map(m => m.ruleId) }).toEqual({ file, rules: ["no-restricted-imports"] });
		}
		expect(results.get("lib/kernel/imports-the-model-layer.ts")?.[0]?.message).toMatch(/kernel must not import a higher layer/);
		expect(results.get("sdk/imports-a-service.ts")?.[0]?.message).toMatch(/must not import services\//);
		expect(results.get("actors/imports-society-methods.ts")?.[0]?.message).toMatch(/agent runtime must not import a higher layer \(.*society.*governance/);
	}, 60_000);

	it("passes an import from a lower layer", () => {
		const { status, results } = lint(["lib/security/imports-the-kernel.ts"]);
		expect(results.get("lib/security/imports-the-kernel.ts")).toEqual([]);
		expect(status).toBe(0);
	}, 60_000);
});
