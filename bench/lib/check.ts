/** Stops a benchmark whose calls did not do what it measures (a wrong answer, a failed call): its figures would mean nothing. */
export function check(condition: boolean, message: string): asserts condition {
	if (!condition) throw new Error(message);
}
