/**
 * The `--trace FILE` records: one JSON line per request,
 * `{"cc", "start", "end", "outcome"}`, epoch milliseconds and the HTTP
 * status, or the kind of error that came instead of a good body
 * (`"timeout"`, `"connection error"`, `"response too large"`,
 * `"interrupted"`, else `"error"`), for the bench's chart.
 *
 * `main` opens the file with `startTrace`; a pool's Workers open it too,
 * with `startTrace` as their initializer and `tracePath()` as its argument.
 * Without `--trace` nothing is opened.
 *
 * @module
 */

/** One record of a trace file: a request, in epoch milliseconds. */
export interface TraceLine {
  /** The country code. */
  cc: string;
  /** When the request started, epoch ms. */
  start: number;
  /** When it ended, epoch ms. */
  end: number;
  /** Its HTTP status, or the kind of error that came instead ("timeout"...). */
  outcome: number | string;
}

/**
 * Reads a trace file back.
 *
 * @param text the file's contents: one JSON record per line
 * @returns the records, in the order written
 * @throws {SyntaxError} when a line is not JSON
 */
export function parseTrace(text: string): TraceLine[] {
  return text.split("\n").filter((line) => line.trim()).map((line) =>
    JSON.parse(line)
  );
}

/** A request's record in the trace file, written when it is disposed of. */
export interface TraceSpan extends Disposable {
  /** The HTTP status, once a response came; without one, "error". */
  status?: number;
  /** What was thrown instead of a good body, if anything. */
  error?: unknown;
}

/** The outcome of an error other than an HTTP status, by the error's name. */
const ERROR_KINDS: Readonly<Record<string, string>> = {
  TimeoutError: "timeout",
  ConnectionError: "connection error",
  ResponseTooLargeError: "response too large",
  AbortError: "interrupted",
};

const noSpan: TraceSpan = { [Symbol.dispose]() {} };
const encoder = new TextEncoder();
let traceFile: Deno.FsFile | null = null;
let traceFilePath: string | undefined;

/**
 * Sends this thread's records to `path`; asks for write access first.
 * Opened once per thread: appends of one short line each do not interleave.
 *
 * @param path the file, created if missing, appended to; with none, no trace
 * @throws {Deno.errors.NotCapable} without write access to `path`
 * @throws {Deno.errors.NotFound} and other `Deno.errors` when `path`
 * cannot be opened
 */
export function startTrace(path?: string): void {
  if (path === undefined) return;
  const need = { name: "write", path } as const;
  if (Deno.permissions.requestSync(need).state !== "granted") {
    throw new Deno.errors.NotCapable(`--trace needs ${path} in --allow-write`);
  }
  traceFile = Deno.openSync(path, { append: true, create: true });
  traceFilePath = path;
}

/**
 * The file that `startTrace` opened in this thread, for a pool's initargs.
 *
 * @returns its path, or `undefined` without a trace
 */
export function tracePath(): string | undefined {
  return traceFilePath;
}

/**
 * Starts the record of `cc`'s request: `using span = traceSpan(cc)`.
 *
 * @param cc the country code
 * @returns a record written when disposed of; with no trace, a shared no-op
 */
export function traceSpan(cc: string): TraceSpan {
  const file = traceFile;
  if (!file) return noSpan;
  const start = performance.timeOrigin + performance.now();
  return {
    [Symbol.dispose]() {
      const end = performance.timeOrigin + performance.now();
      const kind = ERROR_KINDS[(this.error as Error | undefined)?.name ?? ""];
      const outcome = kind ?? this.status ?? "error";
      const line = JSON.stringify({ cc, start, end, outcome }) + "\n";
      file.writeSync(encoder.encode(line));
    },
  };
}
