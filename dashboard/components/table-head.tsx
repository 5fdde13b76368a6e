/**
 * A table's header row: one column header per title, in order. The tables of the pages
 * share it so each header is a `scope="col"` cell (screen readers read it with each cell of
 * its column) without every page writing the markup again.
 */
import type { ComponentChildren } from "preact";

export function TableHead({ titles }: { titles: readonly ComponentChildren[] }) {
	return (
		<thead>
			<tr>
				{titles.map((title, i) => (
					// A table's columns are fixed while it is shown: their place is their key.
					<th key={i} scope="col">
						{title}
					</th>
				))}
			</tr>
		</thead>
	);
}
