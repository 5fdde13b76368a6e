/** The last `size` lines written to a stream, for crash reports. */
export class LineRing {
	private readonly lines: string[] = [];
	private partial = "";

	constructor(private readonly size = 200) {}

	write(chunk: Buffer | string): string[] {
		const text = this.partial + chunk.toString();
		const parts = text.split("\n");
		this.partial = parts.pop() ?? "";
		for (const line of parts) {
			this.lines.push(line);
			if (this.lines.length > this.size) this.lines.shift();
		}
		return parts;
	}

	tail(n = 20): string[] {
		const all = this.partial ? [...this.lines, this.partial] : this.lines;
		return all.slice(-n);
	}
}
