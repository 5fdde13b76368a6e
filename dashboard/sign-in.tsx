/** The sign-in form: an API token (the admin token printed at first start, or one from `agent-os tokens create`). */
import { useState } from "preact/hooks";
import { shown, type ShownError } from "./api";
import { ErrorBanner } from "./components/error-banner";
import { signedOutBecause, signIn } from "./session";

export function SignIn({ error: initial }: { error?: ShownError }) {
	const [token, setToken] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<ShownError | undefined>(initial);
	const submit = async (e: Event) => {
		e.preventDefault();
		setBusy(true);
		setError(undefined);
		try {
			await signIn(token.trim());
			if (!location.hash.startsWith("#/")) location.hash = "#/overview";
		} catch (err) {
			setError(shown(err));
		} finally {
			setBusy(false);
		}
	};
	return (
		<main class="sign-in">
			<form onSubmit={submit} aria-labelledby="sign-in-title">
				<h1 id="sign-in-title">AgentOS console</h1>
				<p>Sign in with an API token: the admin token printed when the node first started, or one made with <code>agent-os tokens create</code>.</p>
				<label for="token">API token</label>
				<input id="token" name="token" type="password" autoComplete="off" required value={token} onInput={e => setToken(e.currentTarget.value)} />
				<ErrorBanner error={error ?? (signedOutBecause.value ? { type: "SIGNED_OUT", message: signedOutBecause.value } : undefined)} />
				<button type="submit" class="primary" disabled={busy || !token.trim()}>
					{busy ? "Signing in…" : "Sign in"}
				</button>
				<p class="hint">The token stays in this tab only (session storage) and is sent only to this node.</p>
			</form>
		</main>
	);
}
