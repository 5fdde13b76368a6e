/**
 * Spawn an agent from a manifest typed as JSON. A JSON syntax error is shown with its line
 * and column; the API's 422 MANIFEST_INVALID lists each bad field, and choosing one selects
 * that field in the editor.
 */
import { useRef, useState } from "preact/hooks";
import { AgentOSApiError, sdk, shown, type AgentView, type ShownError } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { GuardedButton } from "../components/guarded";

export interface FieldProblem {
	field: string;
	message: string;
}

export const TEMPLATES = {
	declarative: {
		id: "my-assistant",
		name: "My assistant",
		description: "Answers questions briefly; no code, run by the runtime's own tool-calling loop",
		instructions: "You are a helpful assistant. Answer briefly and say when you are not sure.",
		memory: { recall: 3 }
	},
	code: {
		id: "my-greeter",
		name: "My greeter",
		description: "A code agent: its entryPoint runs in a sandboxed worker",
		entryPoint: "agents/hello/index.js",
		taskTypes: {
			greet: { description: "Greet someone by name", schema: { type: "object", properties: { name: { type: "string", maxLength: 100 } } } }
		}
	}
} as const;

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
	const before = text.slice(0, offset).split("\n");
	return { line: before.length, column: before[before.length - 1].length + 1 };
}

function parseManifest(text: string): { manifest?: Record<string, unknown>; syntax?: string; offset?: number } {
	try {
		const value = JSON.parse(text) as unknown;
		if (!value || typeof value !== "object" || Array.isArray(value)) return { syntax: "A manifest is a JSON object: { … }", offset: 0 };
		return { manifest: value as Record<string, unknown> };
	} catch (err) {
		const message = (err as Error).message;
		const at = /position (\d+)/.exec(message);
		const offset = at ? Number(at[1]) : undefined;
		const where = offset === undefined ? "" : (({ line, column }) => ` (line ${line}, column ${column})`)(lineColumn(text, offset));
		return { syntax: `Not valid JSON${where}: ${message.replace(/ in JSON at position.*$/, "")}`, offset };
	}
}

export function SpawnEditor({ onSpawned }: { onSpawned(agent: AgentView): void }) {
	const [text, setText] = useState(pretty(TEMPLATES.declarative));
	const [fields, setFields] = useState<FieldProblem[]>([]);
	const [syntax, setSyntax] = useState<string | undefined>(undefined);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const [busy, setBusy] = useState(false);
	const editor = useRef<HTMLTextAreaElement>(null);

	const select = (start: number, end = start) => {
		const el = editor.current;
		if (!el) return;
		el.focus();
		el.setSelectionRange(start, end);
	};
	/** Selects the field's key in the text: the last segment of `taskTypes.greet.schema`, or the whole text when it is not there. */
	const selectField = (field: string) => {
		const key = `"${field.split(".").pop()}"`;
		const at = text.indexOf(key);
		if (at >= 0) select(at, at + key.length);
		else select(0, 0);
	};

	const submit = async (e: Event) => {
		e.preventDefault();
		setFields([]);
		setSyntax(undefined);
		setError(undefined);
		const parsed = parseManifest(text);
		if (!parsed.manifest) {
			setSyntax(parsed.syntax);
			if (parsed.offset !== undefined) select(parsed.offset);
			return;
		}
		setBusy(true);
		try {
			onSpawned(await sdk().agents.spawn(parsed.manifest));
		} catch (err) {
			const problems = err instanceof AgentOSApiError ? (err.data as { fields?: FieldProblem[] } | undefined)?.fields : undefined;
			if (problems?.length) setFields(problems);
			setError(shown(err));
		} finally {
			setBusy(false);
		}
	};

	const invalid = fields.length > 0 || syntax !== undefined;
	return (
		<form class="spawn" onSubmit={submit} aria-labelledby="spawn-title">
			<h2 id="spawn-title">Spawn an agent</h2>
			<div class="toolbar">
				<span>Start from a template:</span>
				<button type="button" onClick={() => (setText(pretty(TEMPLATES.declarative)), setFields([]), setSyntax(undefined))}>
					Declarative agent
				</button>
				<button type="button" onClick={() => (setText(pretty(TEMPLATES.code)), setFields([]), setSyntax(undefined))}>
					Code agent
				</button>
			</div>
			<label for="manifest">Manifest (JSON)</label>
			<textarea
				id="manifest"
				ref={editor}
				class="code"
				spellcheck={false}
				value={text}
				aria-invalid={invalid}
				aria-describedby="manifest-problems"
				onInput={e => setText(e.currentTarget.value)}
			/>
			<div id="manifest-problems" aria-live="polite">
				{syntax && <p class="field-error">{syntax}</p>}
				{fields.length > 0 && (
					<ul class="field-errors">
						{fields.map(f => (
							<li key={f.field} class="field-error" data-field={f.field}>
								<button type="button" class="link" onClick={() => selectField(f.field)} title="Select this field in the editor">
									{f.field}
								</button>
								: {f.message}
							</li>
						))}
					</ul>
				)}
			</div>
			{fields.length === 0 && <ErrorBanner error={error} />}
			<div class="actions">
				<GuardedButton scope="agents:write" type="submit" class="primary" disabled={busy}>
					{busy ? "Spawning…" : "Spawn"}
				</GuardedButton>
			</div>
		</form>
	);
}
