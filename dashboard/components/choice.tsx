/**
 * Labelled selects of a field's values: `Choice`, one of them (a form's field), and
 * `AnySelect`, a list page's filter with `any` (the empty string, no filter) first. The
 * value handed to `onChange` is always one of the options.
 */
export interface ChoiceProps<T extends string> {
	label: string;
	/** The form field's name, where the page's form or its tests name it. */
	name?: string;
	value: NoInfer<T>;
	options: readonly T[];
	onChange(value: NoInfer<T>): void;
	/** What an option shows, when not its value. */
	text?(option: T): string;
}

export function Choice<T extends string>({ label, name, value, options, onChange, text = o => o }: ChoiceProps<T>) {
	const pick = (picked: string) => {
		const option = options.find(o => o === picked);
		if (option !== undefined) onChange(option);
	};
	return (
		<label>
			{label}
			<select name={name} value={value} onChange={e => pick(e.currentTarget.value)}>
				{options.map(o => (
					<option key={o} value={o}>
						{text(o)}
					</option>
				))}
			</select>
		</label>
	);
}

export function AnySelect<T extends string>({ options, ...rest }: Omit<ChoiceProps<T | "">, "options" | "text"> & { options: readonly T[] }) {
	return <Choice<T | ""> {...rest} options={["", ...options]} text={o => o || "any"} />;
}
