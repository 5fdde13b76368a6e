import fs from "node:fs";
import path from "node:path";
import { SCOPES } from "../../lib/security/capabilities";

const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

/** The README's section under `heading`, up to the next heading of any level. */
function section(heading: string): string {
	const start = readme.indexOf(`\n${heading}\n`);
	if (start < 0) throw new Error(`README.md has no "${heading}" section`);
	const rest = readme.slice(start + heading.length + 2);
	const end = rest.search(/^#{1,6} /m);
	return end < 0 ? rest : rest.slice(0, end);
}

describe("the README's security section", () => {
	it("lists every scope a token may have, with what it lets a token do, and no other", () => {
		const rows = [...section("### Scopes").matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)].map(m => [m[1], m[2]]);
		expect(rows).toEqual(Object.entries(SCOPES));
	});
});
