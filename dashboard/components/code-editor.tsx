/**
 * A plain-text editor with line numbers that marks an error at its line and column: the
 * line's number is flagged, and the line is repeated under the editor with a caret under
 * the column and the reason (as text). Enough for one-screen sources such as policies.
 */
import { useRef } from "preact/hooks";

export interface CodeMark {
	line: number;
	column: number;
	message: string;
}

export interface CodeEditorProps {
	id: string;
	label: string;
	value: string;
	onInput(value: string): void;
	mark?: CodeMark;
	rows?: number;
	readOnly?: boolean;
}

export function CodeEditor({ id, label, value, onInput, mark, rows = 8, readOnly }: CodeEditorProps) {
	const gutter = useRef<HTMLPreElement>(null);
	const lines = value.split("\n");
	const bad = mark ? lines[mark.line - 1] ?? "" : "";
	const jump = (e: Event) => {
		e.preventDefault();
		const area = document.getElementById(id) as HTMLTextAreaElement | null;
		if (!area || !mark) return;
		const at = lines.slice(0, mark.line - 1).reduce((n, l) => n + l.length + 1, 0) + mark.column - 1;
		area.focus();
		area.setSelectionRange(at, at + 1);
	};
	return (
		<div class="code-editor">
			<label for={id}>{label}</label>
			<div class="code-frame">
				<pre class="code-gutter" ref={gutter} aria-hidden="true">
					{lines.map((_, i) => (
						<span key={i} class={mark?.line === i + 1 ? "gutter-line gutter-error" : "gutter-line"}>
							{i + 1}
						</span>
					))}
				</pre>
				<textarea
					id={id}
					class="code"
					rows={Math.max(rows, lines.length)}
					spellcheck={false}
					readOnly={readOnly}
					value={value}
					aria-invalid={mark ? true : undefined}
					aria-describedby={mark ? `${id}-error` : undefined}
					onInput={e => onInput((e.target as HTMLTextAreaElement).value)}
					onScroll={e => gutter.current && (gutter.current.scrollTop = (e.target as HTMLTextAreaElement).scrollTop)}
				/>
			</div>
			{mark && (
				<div id={`${id}-error`} class="code-error" role="alert" data-line={mark.line} data-column={mark.column}>
					<a href="#" onClick={jump}>
						line {mark.line}, column {mark.column}
					</a>
					: {mark.message}
					<pre class="code-caret">
						{bad}
						{"\n"}
						{" ".repeat(Math.max(mark.column - 1, 0))}^
					</pre>
				</div>
			)}
		</div>
	);
}
