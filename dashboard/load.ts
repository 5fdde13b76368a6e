/** `useLoad(fn, deps)`: data from the API for a component, with its error and a reload. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { shown, type ShownError } from "./api";

export interface Loaded<T> {
	data: T | undefined;
	error: ShownError | undefined;
	loading: boolean;
	/** Loads again, keeping the shown data until the answer comes (for live refreshes). */
	reload(): void;
}

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
	const [data, setData] = useState<T | undefined>(undefined);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const [loading, setLoading] = useState(true);
	const generation = useRef(0);
	const latest = useRef(fn);
	latest.current = fn;
	const reload = useCallback(() => {
		const mine = ++generation.current;
		setLoading(true);
		latest.current().then(
			value => {
				if (mine !== generation.current) return;
				setData(value);
				setError(undefined);
				setLoading(false);
			},
			err => {
				if (mine !== generation.current) return;
				setError(shown(err));
				setLoading(false);
			}
		);
	}, []);
	useEffect(reload, deps);
	return { data, error, loading, reload };
}
