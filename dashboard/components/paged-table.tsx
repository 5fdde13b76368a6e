/**
 * A table paged by the server (`limit`/`offset` → `{items, total}`): previous/next, the
 * range shown, the load's error, and optional sortable columns (the sort is passed to `load`).
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useLoad } from "../load";
import { ErrorBanner } from "./error-banner";

export interface Column<T> {
	key: string;
	title: string;
	render(row: T): ComponentChildren;
	/** Whether the server can sort by this column (clicking its header toggles the order). */
	sortable?: boolean;
}

export interface Sort {
	key: string;
	dir: "asc" | "desc";
}

export interface PagedTableProps<T> {
	caption: string;
	columns: Column<T>[];
	/** One page from the server (a `Page<T>` fits; map other shapes, e.g. `{rows, total}`, to `{items, total}`). */
	load(opts: { limit: number; offset: number; sort?: Sort }): Promise<{ items: T[]; total: number }>;
	rowKey(row: T): string;
	pageSize?: number;
	/** Anything that, when it changes, reloads from the first page (filters, a live-event counter). */
	deps?: unknown[];
	/** Changing it reloads the current page (e.g. a counter bumped by a live event). */
	refresh?: number;
	initialSort?: Sort;
	empty?: ComponentChildren;
}

export function PagedTable<T>({ caption, columns, load, rowKey, pageSize = 20, deps = [], refresh = 0, initialSort, empty = "Nothing here yet." }: PagedTableProps<T>) {
	const depsKey = JSON.stringify(deps);
	// The page is remembered per set of filters: new filters start again at the first page.
	const [paging, setPaging] = useState({ depsKey, offset: 0 });
	const offset = paging.depsKey === depsKey ? paging.offset : 0;
	const setOffset = (next: number) => setPaging({ depsKey, offset: next });
	const [sort, setSort] = useState<Sort | undefined>(initialSort);
	const page = useLoad(() => load({ limit: pageSize, offset, sort }), [offset, depsKey, sort?.key, sort?.dir, refresh]);
	const items = page.data?.items ?? [];
	const total = page.data?.total ?? 0;
	const toggle = (key: string) => setSort(s => (s?.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: "asc" }));
	return (
		<div class="paged-table">
			<ErrorBanner error={page.error} />
			<div class="table-scroll">
				<table aria-busy={page.loading}>
					<caption>{caption}</caption>
					<thead>
						<tr>
							{columns.map(c => (
								<th key={c.key} scope="col" aria-sort={sort?.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}>
									{c.sortable ? (
										<button type="button" class="link" onClick={() => toggle(c.key)}>
											{c.title}
											{sort?.key === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
										</button>
									) : (
										c.title
									)}
								</th>
							))}
						</tr>
					</thead>
					<tbody>
						{items.map(row => (
							<tr key={rowKey(row)}>
								{columns.map(c => (
									<td key={c.key} data-label={c.title}>
										{c.render(row)}
									</td>
								))}
							</tr>
						))}
						{!page.loading && items.length === 0 && (
							<tr>
								<td colSpan={columns.length} class="empty">
									{empty}
								</td>
							</tr>
						)}
					</tbody>
				</table>
			</div>
			<nav class="pager" aria-label={`${caption} pages`}>
				<button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>
					Previous
				</button>
				<span aria-live="polite">{total === 0 ? "0 of 0" : `${offset + 1}–${Math.min(offset + items.length, total)} of ${total}`}</span>
				<button type="button" disabled={offset + pageSize >= total} onClick={() => setOffset(offset + pageSize)}>
					Next
				</button>
			</nav>
		</div>
	);
}
