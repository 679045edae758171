/**
 * The `--trace FILE` records: one JSON line per request,
 * `{"cc", "start", "end", "outcome"}`, epoch milliseconds and the HTTP
 * status, or the kind of error that came instead of a good body
 * (`"timeout"`, `"connection error"`, `"response too large"`,
 * `"interrupted"`, else `"error"`), for the bench's chart.
 *
 * `main` opens the file with `startTrace` and names it in the environment
 * variable `FLAGS2_TRACE` for the Workers, which open it at their first
 * request. Nothing is read at import: without `--trace` the scripts need
 * no environment access.
 *
 * @module
 */

/** Names the trace file for the Workers. */
const TRACE_VAR = "FLAGS2_TRACE";

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
// undefined: not looked for yet in this thread; null: no trace.
let traceFile: Deno.FsFile | null | undefined;

/**
 * Sends the records to `path`, in this thread and in the Workers started
 * after; asks for the permissions it needs first.
 *
 * @param path the file, created if missing, appended to
 * @throws {Deno.errors.NotCapable} without environment access to
 * `FLAGS2_TRACE` or write access to `path`, naming both
 * @throws {Deno.errors.NotFound} and other `Deno.errors` when `path`
 * cannot be opened
 */
export function startTrace(path: string): void {
  const needs = [
    { name: "env", variable: TRACE_VAR },
    { name: "write", path },
  ] as const;
  if (
    needs.some((need) => Deno.permissions.requestSync(need).state !== "granted")
  ) {
    throw new Deno.errors.NotCapable(
      `--trace needs --allow-env=${TRACE_VAR}, and ${path} in --allow-write`,
    );
  }
  traceFile = openTrace(path);
  Deno.env.set(TRACE_VAR, path);
}

// Opened once per thread: appends of one short line each do not interleave.
function openTrace(path: string): Deno.FsFile {
  return Deno.openSync(path, { append: true, create: true });
}

/** This thread's trace file; a Worker looks for it at its first request. */
function currentTraceFile(): Deno.FsFile | null {
  if (traceFile === undefined) {
    const need = { name: "env", variable: TRACE_VAR } as const;
    const granted = Deno.permissions.querySync(need).state === "granted";
    const path = granted ? Deno.env.get(TRACE_VAR) : undefined;
    traceFile = path ? openTrace(path) : null;
  }
  return traceFile;
}

/**
 * Starts the record of `cc`'s request: `using span = traceSpan(cc)`.
 *
 * @param cc the country code
 * @returns a record written when disposed of; with no trace, a shared no-op
 */
export function traceSpan(cc: string): TraceSpan {
  const file = currentTraceFile();
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
