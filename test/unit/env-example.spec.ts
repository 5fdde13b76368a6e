import fs from "node:fs";
import path from "node:path";
import { CONFIG_SCHEMA } from "../../lib/kernel/config-schema";
import { renderConfigTable, renderEnvExample } from "../../lib/kernel/env-example";

const root = path.resolve(__dirname, "../..");

describe("configuration docs", () => {
	it(".env.example is what the schema generates (run npm run env:example)", () => {
		expect(fs.readFileSync(path.join(root, ".env.example"), "utf8")).toBe(renderEnvExample());
	});

	it("the README's configuration table is what the schema generates", () => {
		expect(fs.readFileSync(path.join(root, "README.md"), "utf8")).toContain(renderConfigTable());
	});

	it("every variable the code reads appears in both", () => {
		const example = renderEnvExample();
		for (const key of Object.keys(CONFIG_SCHEMA)) expect(example).toMatch(new RegExp(`^(# )?${key}=`, "m"));
	});
});
