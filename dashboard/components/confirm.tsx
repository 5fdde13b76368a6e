/**
 * A modal confirmation (the native <dialog>: focus moves into it, Escape cancels) and a
 * guarded button that asks before it acts and shows the action's error in the dialog.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { shown, type Scope, type ShownError } from "../api";
import { ErrorBanner } from "./error-banner";
import { GuardedButton } from "./guarded";

export interface ConfirmDialogProps {
	open: boolean;
	title: string;
	children?: ComponentChildren;
	confirmLabel?: string;
	danger?: boolean;
	busy?: boolean;
	error?: ShownError;
	onConfirm(): void;
	onCancel(): void;
}

export function ConfirmDialog({ open, title, children, confirmLabel = "Confirm", danger, busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
	const ref = useRef<HTMLDialogElement>(null);
	useEffect(() => {
		const dialog = ref.current;
		if (!dialog) return;
		if (open && !dialog.open) dialog.showModal();
		if (!open && dialog.open) dialog.close();
	}, [open]);
	return (
		<dialog ref={ref} class="confirm" aria-label={title} onCancel={e => (e.preventDefault(), onCancel())}>
			<form method="dialog" onSubmit={e => (e.preventDefault(), onConfirm())}>
				<h2>{title}</h2>
				{children && <div class="confirm-body">{children}</div>}
				<ErrorBanner error={error} />
				<div class="actions">
					<button type="button" onClick={onCancel}>
						Cancel
					</button>
					<button type="submit" class={danger ? "danger" : "primary"} disabled={busy}>
						{busy ? "Working…" : confirmLabel}
					</button>
				</div>
			</form>
		</dialog>
	);
}

export interface ConfirmButtonProps {
	scope: Scope;
	label: string;
	/** The dialog's question, e.g. "Stop agent abc?" */
	title: string;
	children?: ComponentChildren;
	confirmLabel?: string;
	danger?: boolean;
	disabled?: boolean;
	/** Runs on confirm; the dialog closes when it resolves and shows its error when it rejects. */
	action(): Promise<unknown>;
	onDone?(): void;
}

export function ConfirmButton({ scope, label, title, children, confirmLabel, danger, disabled, action, onDone }: ConfirmButtonProps) {
	const [open, setOpen] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const confirm = async () => {
		setBusy(true);
		setError(undefined);
		try {
			await action();
			setOpen(false);
			onDone?.();
		} catch (err) {
			setError(shown(err));
		} finally {
			setBusy(false);
		}
	};
	return (
		<>
			<GuardedButton scope={scope} disabled={disabled} class={danger ? "danger" : undefined} onClick={() => (setError(undefined), setOpen(true))}>
				{label}
			</GuardedButton>
			<ConfirmDialog open={open} title={title} confirmLabel={confirmLabel ?? label} danger={danger} busy={busy} error={error} onConfirm={confirm} onCancel={() => setOpen(false)}>
				{children}
			</ConfirmDialog>
		</>
	);
}
