/** What a page not yet built shows. */
export function Placeholder({ title }: { title: string }) {
	return (
		<section class="page placeholder">
			<h1>{title}</h1>
			<p>This page is not built yet. Everything it will show is available through the REST API (GET /api/v1/openapi.json).</p>
		</section>
	);
}
