/** How long a sanction lasts, as the API reads it (30m, 2h, 7d); empty, until it is lifted. Asked where a sanction is applied and where a case is resolved with one. */
export function DurationField({ value, onChange }: { value: string; onChange(value: string): void }) {
	return (
		<label>
			Duration (30m, 2h, 7d; none: until lifted)
			<input value={value} onInput={e => onChange(e.currentTarget.value)} />
		</label>
	);
}
