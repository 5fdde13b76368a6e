/** Times in the browser's own zone and language; the exact ISO time in the tooltip. */
const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function formatTime(value: string | number | Date | null | undefined): string {
	if (value === null || value === undefined || value === "") return "—";
	const date = new Date(value);
	if (Number.isNaN(date.getTime())) return String(value);
	return date.toDateString() === new Date().toDateString() ? CLOCK.format(date) : FULL.format(date);
}

/** "3 min ago", for lists where recency matters more than the clock. */
export function formatAgo(value: string | number | Date, now = Date.now()): string {
	const s = Math.round((now - new Date(value).getTime()) / 1000);
	if (s < 60) return `${Math.max(s, 0)} s ago`;
	if (s < 3600) return `${Math.round(s / 60)} min ago`;
	if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
	return `${Math.round(s / 86_400)} d ago`;
}

export function Time({ value }: { value: string | number | Date | null | undefined }) {
	if (value === null || value === undefined || value === "") return <span>—</span>;
	const date = new Date(value);
	return (
		<time dateTime={date.toISOString()} title={date.toISOString()}>
			{formatTime(date)}
		</time>
	);
}
