import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/**
 * The layers, lowest first (see DESIGN.md): a folder may import its own layer and the ones
 * below, never one above. Each entry names the folders of one layer, as path segments.
 * The runtime checks capabilities, so it may use the security layer's vocabulary
 * (lib/security/capabilities, lib/security/errors) and nothing else of it.
 */
const LAYERS = [
	{ name: "kernel", folders: ["lib/kernel", "lib/schema"], segments: ["kernel", "schema"] },
	{ name: "model layer", folders: ["lib/mal"], segments: ["mal"] },
	{ name: "agent runtime", folders: ["actors", "lib/cluster"], segments: ["actors", "cluster"] },
	{ name: "agent framework", folders: ["lib/security", "lib/memory", "lib/tools", "lib/framework", "mixins"], segments: ["security", "memory", "tools", "framework", "mixins"] },
	{ name: "applications", folders: ["lib/society", "lib/governance", "lib/gateway", "lib/bootstrap"], segments: ["society", "governance", "gateway", "bootstrap", "agents"] }
];
/** Above every layer: service adapters, then the composition root and the clients built on it. */
const SERVICES = ["services"];
const TOP = ["app", "sdk", "cli"];

/** A relative import that reaches into one of these folders (by path segment). */
const into = segments => `^\\..*/(${segments.join("|")})(/|$)`;

function layerRule(message, segments, extra = []) {
	return { "no-restricted-imports": ["error", { patterns: [{ regex: into(segments), message }, ...extra] }] };
}

const layerRules = LAYERS.map((layer, i) => {
	const above = LAYERS.slice(i + 1).flatMap(l => l.segments);
	const security = layer.name === "agent runtime";
	const segments = [...above.filter(s => !(security && s === "security")), ...SERVICES, ...TOP];
	const extra = security ? [{ regex: "^\\..*/security/(?!(capabilities|errors)$)", message: "The agent runtime may use only the security layer's capabilities and errors." }] : [];
	return {
		files: layer.folders.map(f => `**/${f}/**/*.ts`),
		rules: layerRule(`The ${layer.name} must not import a higher layer (${above.join(", ")}), services/ or the composition root (DESIGN.md, "The five layers").`, segments, extra)
	};
});

export default tseslint.config(
	// test/fixtures/lint holds deliberate violations that test/unit/layering.spec.ts lints on purpose.
	{ ignores: ["dist/", "data/", "node_modules/", "coverage/", "test/fixtures/lint/"] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		rules: {
			"@typescript-eslint/no-explicit-any": "error",
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }]
		}
	},
	{
		files: ["**/*.js"],
		rules: { "@typescript-eslint/no-require-imports": "off" },
		languageOptions: { globals: { ...globals.node } }
	},
	// Any folder of lib/ (also one not yet in LAYERS), actors/ and mixins/: never services/ or the composition root.
	{
		files: ["**/lib/**/*.ts", "**/actors/**/*.ts", "**/mixins/**/*.ts"],
		rules: layerRule("lib/, actors/ and mixins/ must not import services/, the composition root (app/), the SDK or the CLI (DESIGN.md).", [...SERVICES, ...TOP])
	},
	// Later entries replace the rule for the folders they name, with each layer's full list.
	...layerRules,
	{
		files: ["**/services/**/*.ts"],
		rules: layerRule("Services are adapters: they must not import the composition root (app/), the SDK or the CLI.", TOP)
	},
	// The web console runs in the browser and talks only to the public API, through the SDK.
	{ files: ["dashboard/**/*.ts", "dashboard/**/*.tsx"], languageOptions: { globals: { ...globals.browser } } },
	...[["dashboard/*.{ts,tsx}", "\\.\\./"], ["dashboard/*/**/*.{ts,tsx}", "\\.\\./\\.\\./"]].map(([glob, up]) => ({
		files: [glob],
		rules: {
			"no-restricted-imports": ["error", { patterns: [{ regex: `^${up}(lib|actors|services|app|cli|mixins)(/|$)`, message: "The console talks to the node only over its public API: it may import the SDK (sdk/), never lib/, services/, the composition root (app/) or the CLI." }] }]
		}
	})),
	{
		files: ["**/sdk/**/*.ts"],
		rules: layerRule("The SDK's types live in lib/; it must not import services/, the composition root (app/) or the CLI.", ["services", "app", "cli"])
	}
);
