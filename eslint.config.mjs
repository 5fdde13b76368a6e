import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
	{ ignores: ["dist/", "data/", "node_modules/", "coverage/"] },
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
	}
);
