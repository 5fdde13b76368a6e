import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(__dirname, "../..");
const SOURCE = ["app", "lib", "actors", "services", "mixins", "sdk", "cli"];
const UPPER_SNAKE = /^[A-Z][A-Z0-9_]*$/;

function sourceFiles(dir: string): string[] {
	const full = path.join(root, dir);
	if (!fs.existsSync(full)) return [];
	return fs.readdirSync(full, { withFileTypes: true }).flatMap(entry => {
		const rel = path.join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(rel);
		return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [rel] : [];
	});
}

/** Where a Moleculer error is made with a literal UPPER_SNAKE type: `super(…)` in an error class, or `new Errors.X(…)`. */
interface Definition {
	type: string;
	at: string;
}

function definitions(file: string): Definition[] {
	const text = fs.readFileSync(path.join(root, file), "utf8");
	const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
	const found: Definition[] = [];
	const record = (args: readonly ts.Expression[], node: ts.Node) => {
		for (const arg of args) {
			if (ts.isStringLiteral(arg) && UPPER_SNAKE.test(arg.text)) {
				found.push({ type: arg.text, at: `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}` });
				return;
			}
		}
	};
	const visit = (node: ts.Node, inErrorClass: boolean) => {
		if (ts.isClassDeclaration(node)) {
			const heritage = node.heritageClauses?.flatMap(h => h.types.map(t => t.expression.getText(source))) ?? [];
			inErrorClass = heritage.some(name => /Error$/.test(name));
		}
		if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword && inErrorClass) record(node.arguments, node);
		if (ts.isNewExpression(node) && /^Errors\.\w+Error$/.test(node.expression.getText(source))) record(node.arguments ?? [], node);
		ts.forEachChild(node, child => visit(child, inErrorClass));
	};
	visit(source, false);
	return found;
}

describe("error types", () => {
	const all = SOURCE.flatMap(sourceFiles).flatMap(definitions);

	it("finds the project's error definitions", () => {
		// A guard against the scan silently finding nothing (and so passing).
		expect(all.map(d => d.type)).toEqual(expect.arrayContaining(["BUDGET_EXCEEDED", "FORBIDDEN_SCOPE", "PERMISSION_DENIED", "MEMORY_LOCKED", "AGENT_NOT_FOUND"]));
	});

	it("defines each UPPER_SNAKE type once, so one type always carries one code and one data shape", () => {
		const byType = new Map<string, string[]>();
		for (const d of all) byType.set(d.type, [...(byType.get(d.type) ?? []), d.at]);
		const duplicated = [...byType].filter(([, at]) => at.length > 1).map(([type, at]) => `${type}: ${at.join(", ")}`);
		expect(duplicated).toEqual([]);
	});

	it("defines every error class in its layer's errors module, so each layer's errors are found in one place", () => {
		const outside = SOURCE.flatMap(sourceFiles)
			.filter(file => !/(^|[-/])errors\.ts$/.test(file))
			.filter(file => /class \w+ extends (Errors\.)?Moleculer\w*Error\b/.test(fs.readFileSync(path.join(root, file), "utf8")));
		expect(outside).toEqual([]);
	});
});
