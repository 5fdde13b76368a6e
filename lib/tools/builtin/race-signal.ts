/** `promise`, or `timeout()` as soon as the signal aborts — whichever comes first. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, timeout: () => Error): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const onAbort = (): void => reject(timeout());
		if (signal.aborted) return onAbort();
		signal.addEventListener("abort", onAbort, { once: true });
		promise.then(
			value => {
				signal.removeEventListener("abort", onAbort);
				resolve(value);
			},
			(err: unknown) => {
				signal.removeEventListener("abort", onAbort);
				reject(err);
			}
		);
	});
}
