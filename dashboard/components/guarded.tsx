/**
 * Controls the signed-in token may not use are shown disabled with the scope they need,
 * never as a button that fails when pressed.
 */
import type { ButtonHTMLAttributes, ComponentChildren } from "preact";
import type { Scope } from "../api";
import { can } from "../session";

export const needsScope = (scope: Scope) => `needs scope ${scope}`;

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, "disabled"> & { scope: Scope; disabled?: boolean; children: ComponentChildren };

/** A button that is enabled only when the token has `scope` (title "needs scope X" otherwise). */
export function GuardedButton({ scope, disabled, title, children, type = "button", ...rest }: ButtonProps) {
	const allowed = can(scope);
	return (
		<button {...rest} type={type} disabled={!allowed || disabled} title={allowed ? title : needsScope(scope)} data-needs-scope={allowed ? undefined : scope}>
			{children}
		</button>
	);
}

/**
 * `children` when the token has `scope`; otherwise `fallback`, or the children inside a
 * disabled fieldset (so every control in them is disabled) with the needed scope named.
 */
export function Guarded({ scope, children, fallback }: { scope: Scope; children: ComponentChildren; fallback?: ComponentChildren }) {
	if (can(scope)) return <>{children}</>;
	if (fallback !== undefined) return <>{fallback}</>;
	return (
		<fieldset class="guarded" disabled title={needsScope(scope)} data-needs-scope={scope}>
			<legend class="needs-scope">{needsScope(scope)}</legend>
			{children}
		</fieldset>
	);
}
