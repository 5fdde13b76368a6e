/**
 * Bundles the web console (dashboard/) into dist/dashboard: one minified script and one
 * stylesheet with content-hashed names under assets/, and an index.html that loads them
 * by name. No inline script or style, so the gateway's Content-Security-Policy can forbid
 * both. Run by `npm run build` after tsc (which compiled this file).
 */
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { consoleDir, projectRoot } from "../lib/kernel/paths";

export interface ConsoleBuild {
	/** Paths of the written files, relative to the output folder (index.html, assets/…). */
	files: string[];
	/** The entry script's path, relative to the output folder. */
	script: string;
}

export async function buildConsole(outDir = consoleDir()): Promise<ConsoleBuild> {
	const root = projectRoot();
	fs.rmSync(outDir, { recursive: true, force: true });
	const result = await build({
		entryPoints: { app: path.join(root, "dashboard", "main.tsx") },
		outdir: path.join(outDir, "assets"),
		entryNames: "[name]-[hash]",
		assetNames: "[name]-[hash]",
		bundle: true,
		minify: true,
		format: "esm",
		target: "es2020",
		jsx: "automatic",
		jsxImportSource: "preact",
		legalComments: "none",
		metafile: true,
		logLevel: "warning"
	});
	const outputs = Object.keys(result.metafile.outputs).map(file => path.relative(outDir, path.resolve(root, file)));
	const script = outputs.find(f => f.endsWith(".js"));
	const styles = outputs.filter(f => f.endsWith(".css"));
	if (!script) throw new Error("esbuild wrote no script for the console");
	fs.writeFileSync(path.join(outDir, "index.html"), indexHtml(script, styles));
	return { files: ["index.html", ...outputs].map(f => f.split(path.sep).join("/")), script: script.split(path.sep).join("/") };
}

function indexHtml(script: string, styles: string[]): string {
	const links = styles.map(s => `<link rel="stylesheet" href="/${s}">`).join("\n");
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AgentOS console</title>
<link rel="icon" href="data:,">
${links}
<script type="module" src="/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The AgentOS console needs JavaScript.</noscript>
</body>
</html>
`;
}

if (require.main === module) {
	buildConsole().then(
		() => undefined,
		(err: Error) => {
			console.error(`The console did not build: ${err.message}`);
			process.exit(1);
		}
	);
}
