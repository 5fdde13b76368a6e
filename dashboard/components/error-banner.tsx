import type { ShownError } from "../api";

/** An API error as the person can act on it: its type and message (as text, never HTML). */
export function ErrorBanner({ error, onDismiss }: { error: ShownError | undefined; onDismiss?: () => void }) {
	if (!error) return null;
	return (
		<div class="error-banner" role="alert">
			<strong class="error-type">{error.type}</strong> <span class="error-message">{error.message}</span>
			{onDismiss && (
				<button type="button" class="link" onClick={onDismiss} aria-label="Dismiss the error">
					×
				</button>
			)}
		</div>
	);
}
