import { Loggers } from "moleculer";
import { pino } from "pino";
import { PinoPretty } from "pino-pretty";

type LogHandler = (level: Loggers.LogLevels, args: unknown[]) => void;
type Bindings = Parameters<InstanceType<typeof Loggers.Pino>["getLogHandler"]>[0];

/**
 * Moleculer's own boot and shutdown chatter: a line per service registered, started and
 * stopped, and a line per broker setting. With thirty services that is fifty lines that
 * scroll the start banner away, so they are logged at debug (LOG_LEVEL=debug shows them).
 */
const ROUTINE: readonly RegExp[] = [
	/^'[^']+' service is registered\.$/,
	/^Service '[^']+' (started|is stopped)\.$/,
	/^Moleculer v\S+ is starting\.\.\.$/,
	/^(Namespace|Node ID|Strategy|Discoverer|Cacher|Serializer|Validator): /,
	/^Registered \d+ middleware\(s\)\.$/
];

export function isRoutine(message: unknown): boolean {
	return typeof message === "string" && ROUTINE.some(pattern => pattern.test(message));
}

export interface NodeLoggerOptions {
	level: Loggers.LogLevels;
	/** Readable single lines (a terminal) instead of JSON lines. */
	pretty: boolean;
}

/**
 * The node's logger: pino, one line per entry in both formats. Both are written
 * synchronously on the main thread (readable lines not through pino's worker transport,
 * JSON not through its buffered stdout) so that they come out in order with what the CLI
 * prints itself — the start banner stays last.
 */
export class NodeLogger extends Loggers.Pino {
	constructor({ level, pretty }: NodeLoggerOptions) {
		const destination = pretty
			? PinoPretty({
					colorize: process.stdout.isTTY === true,
					translateTime: "SYS:HH:MM:ss.l",
					singleLine: true,
					sync: true,
					// nodeID and namespace are the same on every line; the module leads the message instead.
					ignore: "pid,hostname,nodeID,ns,mod,svc",
					messageFormat: "{if mod}{mod}: {end}{msg}"
				})
			: // pino's own default is an asynchronous stdout, which lets lines logged before the banner come after it.
				pino.destination({ dest: 1, sync: true });
		super({ level, pino: { options: {}, destination } });
	}

	override getLogHandler(bindings: Bindings): LogHandler | null {
		const handler = super.getLogHandler(bindings);
		if (!handler) return null;
		return (level, args) => handler(level === "info" && isRoutine(args[0]) ? "debug" : level, args);
	}
}
