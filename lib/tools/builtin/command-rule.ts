/**
 * What an argument is, and so how shell_exec checks it:
 * - `path`: a file or folder the program opens; it must resolve (against the working
 *   folder, through symlinks) inside the allowed folders. `-` (standard input) is not a path.
 * - `text`: data the program never opens as a file (echo's words, a grep pattern, a -name glob).
 * - `number`: an integer or decimal, optionally signed (`5`, `+3`, `-2`, `0.5`).
 * - `package`: an npm package name (`lodash`, `@scope/name`), never a path or URL.
 * - `revision`: a git revision or pathspec; checked as a path when it looks like one
 *   (absolute, a `..` segment, a leading `~`), and always after `--`.
 */
export type ArgKind = "path" | "text" | "number" | "package" | "revision";

/**
 * The arguments one command (or subcommand) accepts. Everything not named here is
 * refused: an unknown option, a value where none is taken, an operand of a command
 * that takes none. Option names are exact (no abbreviations).
 */
export interface CommandRule {
	/** Options without a value (`-l`, `--all`). Single-letter ones may be combined (`-la`) unless `wordOptions`. */
	flags?: readonly string[];
	/**
	 * Options with a value, and what the value is. `--name` takes `--name=V` or `--name V`;
	 * `-n` takes `-nV` or `-n V`. A key ending in `=` (`--color=`) takes only the attached
	 * form: the program's value is optional, so a separate word would be an operand to it.
	 */
	options?: Readonly<Record<string, ArgKind>>;
	/** What the operands are; absent: the command takes none. */
	operands?: ArgKind;
	/** At most this many operands. */
	maxOperands?: number;
	/** The first operand is of this kind (grep's pattern) unless one of `firstOperandUnless` was given. */
	firstOperand?: ArgKind;
	firstOperandUnless?: readonly string[];
	/** Options are whole words after one dash (find's `-name`): `-abc` is never `-a -b -c`. */
	wordOptions?: boolean;
	/** `-5` is a count (`head -5`, `git log -3`). */
	numericFlag?: boolean;
	/** Standalone words accepted as they are (find's `(`, `)`, `!`). */
	words?: readonly string[];
	/** The first operand names a subcommand with its own rule; any other first operand is refused. */
	subcommands?: Readonly<Record<string, CommandRule>>;
	/**
	 * The subcommand runs the project's own code (`npm test` runs package.json's script),
	 * so it is only allowed when the operator names it in ALLOWED_COMMANDS (`npm test`).
	 */
	runsProjectCode?: string;
	/** Arguments the tool itself puts right after the (sub)command, to switch off what would run programs. */
	fixedArgs?: readonly string[];
}
