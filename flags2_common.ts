/**
 * Utilities for the second set of flag examples: the command line, the
 * reports, `saveFlag` and `main`, as in *Fluent Python*'s `flags2_common.py`.
 *
 * Workers load this module too (through `downloadOne`), so commander and
 * cli-progress are imported only inside the functions that use them.
 *
 * @module
 */
import type { Command } from "commander";
// @ts-types="npm:@types/cli-progress@3.11.6"
import type { GenericFormatter } from "cli-progress";
import { interrupted, listenForCtrlC } from "./lib/interrupt.ts";

/** How one download ended. */
export const DownloadStatus = {
  OK: "OK",
  NOT_FOUND: "NOT_FOUND",
  ERROR: "ERROR",
} as const;
/** How one download ended: `"OK"`, `"NOT_FOUND"` or `"ERROR"`. */
export type DownloadStatus = typeof DownloadStatus[keyof typeof DownloadStatus];

/** Downloads counted by status, like Python's `Counter[DownloadStatus]`. */
export type Counter = Record<DownloadStatus, number>;

/** The signature `main` expects of each script's `downloadMany`. */
export type DownloadMany = (
  ccList: string[],
  baseUrl: string,
  verbose: boolean,
  concurReq: number,
) => Promise<Counter>;

/** The 20 most populous countries, downloaded when no code is given. */
export const POP20_CC = (
  "CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR"
).split(" ");

/** The servers that `-s LABEL` names. */
export const SERVERS: Readonly<Record<string, string>> = {
  REMOTE: "https://www.fluentpython.com/data/flags",
  LOCAL: "http://localhost:8001/flags",
  DELAY: "http://localhost:8002/flags",
  ERROR: "http://localhost:8003/flags",
};
const DEFAULT_SERVER = "LOCAL";

/** Where the flags are saved, in the current directory. */
export const DEST_DIR = "downloads";
const COUNTRY_CODES_FILE = new URL("./country_codes.txt", import.meta.url);
const A_Z = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const USAGE =
  "[-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [--trace FILE] [CC ...]";

/** Environment variable naming the `--trace` file; Workers read it too. */
const TRACE_VAR = "FLAGS2_TRACE";

/** Raised for a command line that makes no sense; `main` prints it. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A counter with every status at zero. */
export function newCounter(): Counter {
  return { OK: 0, NOT_FOUND: 0, ERROR: 0 };
}

/**
 * Saves `img` as `downloads/{filename}`, blocking like the book's `save_flag`:
 * written aside, then renamed, so no partial flag is ever seen.
 */
export function saveFlag(img: Uint8Array, filename: string): void {
  const part = `${DEST_DIR}/.${filename}.${crypto.randomUUID()}.part`;
  try {
    Deno.writeFileSync(part, img, { createNew: true });
    Deno.renameSync(part, `${DEST_DIR}/${filename}`);
  } catch (exc) {
    try {
      Deno.removeSync(part);
    } catch { /* never created */ }
    throw exc;
  }
}

/** Prints the server, the codes and the concurrency before the downloads. */
export function initialReport(
  ccList: string[],
  actualReq: number,
  serverLabel: string,
  baseUrl: string,
): void {
  const ccMsg = ccList.length <= 10
    ? ccList.join(", ")
    : `from ${ccList[0]} to ${ccList.at(-1)}`;
  console.log(`${serverLabel} site: ${baseUrl}`);
  console.log(`Searching for ${plural(ccList.length, "flag")}: ${ccMsg}`);
  console.log(
    `${plural(actualReq, "concurrent connection")} will be used.`,
  );
}

/** Prints the counts and the elapsed time since `startTime` (a `performance.now()`). */
export function finalReport(counter: Counter, startTime: number): void {
  const elapsed = (performance.now() - startTime) / 1000;
  console.log("-".repeat(20));
  console.log(`${plural(counter.OK, "flag")} downloaded.`);
  if (counter.NOT_FOUND) console.log(`${counter.NOT_FOUND} not found.`);
  if (counter.ERROR) console.log(`${plural(counter.ERROR, "error")}.`);
  console.log(`Elapsed time: ${elapsed.toFixed(2)}s`);
}

/** `count` followed by `noun`, with an "s" unless the count is one. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The sorted codes that `-e`, `-a` or the CC arguments name, cut to `limit`. */
export async function expandCcArgs(
  everyCc: boolean,
  allCc: boolean,
  ccArgs: string[],
  limit: number,
): Promise<string[]> {
  const codes = new Set<string>();
  if (everyCc) {
    for (const a of A_Z) for (const b of A_Z) codes.add(a + b);
  } else if (allCc) {
    const text = await Deno.readTextFile(COUNTRY_CODES_FILE);
    for (const cc of text.split(/\s+/)) if (cc) codes.add(cc);
  } else {
    for (const cc of ccArgs.map((c) => c.toUpperCase())) {
      if (/^[A-Z]$/.test(cc)) {
        for (const c of A_Z) codes.add(cc + c);
      } else if (/^[A-Z]{2}$/.test(cc)) {
        codes.add(cc);
      } else {
        throw new UsageError("each CC argument must be A to Z or AA to ZZ.");
      }
    }
  }
  return [...codes].sort().slice(0, limit);
}

/** What the command line asks for. */
export interface Args {
  all: boolean;
  every: boolean;
  limit: number;
  maxReq: number;
  server: string;
  baseUrl: string;
  verbose: boolean;
  trace?: string;
}

/** Parses `argv` into the options and the sorted list of codes; throws `UsageError`. */
export async function processArgs(
  defaultConcurReq: number,
  argv: string[] = Deno.args,
): Promise<[Args, string[]]> {
  const program = await makeParser(defaultConcurReq);
  await parseOrExit(program, argv);
  const opts = program.opts();
  const limit: number = opts.limit ?? Infinity;
  if (opts.max_req < 1) {
    throw new UsageError("--max_req CONCURRENT must be >= 1");
  }
  if (limit < 1) throw new UsageError("--limit N must be >= 1");
  const [server, baseUrl] = resolveServer(opts.server);
  const args: Args = {
    all: opts.all === true,
    every: opts.every === true,
    limit,
    maxReq: opts.max_req,
    server,
    baseUrl,
    verbose: opts.verbose === true,
    trace: opts.trace,
  };
  const ccList = await expandCcArgs(args.every, args.all, program.args, limit);
  return [
    args,
    ccList.length ? ccList : POP20_CC.toSorted().slice(0, limit),
  ];
}

/** The label and base URL that `-s` names: a label of `SERVERS`, or a whole URL. */
function resolveServer(server: string): [string, string] {
  if (/^https?:\/\//i.test(server)) {
    return ["CUSTOM", server.replace(/\/+$/, "")];
  }
  const label = server.toUpperCase();
  if (!(label in SERVERS)) {
    const options = Object.keys(SERVERS).sort().join(", ");
    throw new UsageError(`--server LABEL must be one of ${options}`);
  }
  return [label, SERVERS[label]];
}

async function makeParser(defaultConcurReq: number): Promise<Command> {
  const { Command, InvalidArgumentError } = await import("commander");
  const integer = (value: string) => {
    if (!/^[+-]?\d+$/.test(value.trim())) {
      throw new InvalidArgumentError(`invalid int value: '${value}'`);
    }
    return Number(value);
  };
  const servers = Object.keys(SERVERS).sort().join(", ");
  return new Command()
    .name(scriptName())
    .usage(USAGE)
    .description(
      "Download flags for country codes. Default: top 20 countries by population.",
    )
    .argument("[CC...]", "country code or 1st letter (eg. B for BA...BZ)")
    .option("-a, --all", "get all available flags (AD to ZW)")
    .option("-e, --every", "get flags for every possible code (AA...ZZ)")
    .option("-l, --limit <N>", "limit to N first codes", integer)
    .option(
      "-m, --max_req <CONCURRENT>",
      "maximum concurrent requests",
      integer,
      defaultConcurReq,
    )
    .option(
      "-s, --server <LABEL>",
      `server to hit; one of ${servers}, or a base URL`,
      DEFAULT_SERVER,
    )
    .option("-v, --verbose", "output detailed progress info")
    .option("--trace <FILE>", "write one JSON line per request to FILE")
    .helpOption("-h, --help", "show this help message and exit")
    .configureOutput({ outputError: () => {} })
    .exitOverride();
}

/** Runs commander: `-h` prints the help and exits 0, its errors become `UsageError`s. */
async function parseOrExit(program: Command, argv: string[]): Promise<void> {
  const { CommanderError } = await import("commander");
  try {
    program.parse(argv, { from: "user" });
  } catch (exc) {
    if (!(exc instanceof CommanderError)) throw exc;
    if (exc.code === "commander.helpDisplayed") Deno.exit(0);
    throw new UsageError(exc.message.replace(/^error: /, ""));
  }
}

function scriptName(): string {
  return Deno.mainModule.split("/").at(-1) ?? "flags2";
}

/** Prints a usage error the way argparse does and exits with status 2. */
function usageExit(error: UsageError): never {
  console.error(`*** Usage error: ${error.message}`);
  console.error(`usage: ${scriptName()} ${USAGE}`);
  Deno.exit(2);
}

/** Draws a tqdm-style bar on standard error while `iterable` is consumed, if it is a terminal. */
export function tqdm<T>(
  iterable: AsyncIterable<T>,
  total: number,
): AsyncIterable<T>;
/** Draws the bar over a plain iterable: loop over it with `for await`. */
export function tqdm<T>(
  iterable: Iterable<T>,
  total: number,
): Iterable<T> | AsyncIterable<T>;
export function tqdm<T>(
  iterable: Iterable<T> | AsyncIterable<T>,
  total: number,
): Iterable<T> | AsyncIterable<T> {
  if (!Deno.stderr.isTerminal()) return iterable;
  return {
    [Symbol.asyncIterator]() {
      const it = Symbol.asyncIterator in iterable
        ? iterable[Symbol.asyncIterator]()
        : iterable[Symbol.iterator]();
      const bar = startBar(total);
      let started = false;
      return {
        async next() {
          if (started) (await bar).increment();
          started = true;
          const result = await it.next();
          if (result.done) (await bar).stop();
          return result;
        },
        async return() {
          (await bar).stop();
          return (await it.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

async function startBar(total: number) {
  const { SingleBar } = await import("cli-progress");
  const bar = new SingleBar({ format: tqdmFormat, hideCursor: true });
  bar.start(total, 0);
  return bar;
}

/** tqdm's ` 45%|████▌     | 304/676 [00:03<00:04, 95.27it/s]`. */
const tqdmFormat: GenericFormatter = (options, params) => {
  const elapsed = (Date.now() - params.startTime) / 1000;
  const rate = elapsed > 0 ? params.value / elapsed : 0;
  const remaining = rate > 0 ? (params.total - params.value) / rate : 0;
  const width = options.barsize ?? 40;
  const done = Math.round(params.progress * width);
  const bar = "█".repeat(done) + " ".repeat(width - done);
  const pct = String(Math.floor(params.progress * 100)).padStart(3);
  return `${pct}%|${bar}| ${params.value}/${params.total} ` +
    `[${clock(elapsed)}<${clock(remaining)}, ${rate.toFixed(2)}it/s]`;
};

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  return `${mm}:${String(s % 60).padStart(2, "0")}`;
}

/** A request's record in the `--trace` file, written when it ends. */
export interface TraceSpan extends Disposable {
  status?: number;
}

let traceFile = openTrace(Deno.env.get(TRACE_VAR));
const noSpan: TraceSpan = { [Symbol.dispose]() {} };
const encoder = new TextEncoder();

// Opened once per thread: appends of one short line each do not interleave.
function openTrace(path?: string): Deno.FsFile | undefined {
  return path ? Deno.openSync(path, { append: true, create: true }) : undefined;
}

/** Sends the trace to `path`, in this thread and in the Workers started after. */
function startTrace(path: string): void {
  traceFile = openTrace(path);
  Deno.env.set(TRACE_VAR, path);
}

/** Starts a trace record for `cc`'s request; with no `--trace`, a shared no-op. */
export function traceSpan(cc: string): TraceSpan {
  const file = traceFile;
  if (!file) return noSpan;
  const start = performance.timeOrigin + performance.now();
  return {
    [Symbol.dispose]() {
      const end = performance.timeOrigin + performance.now();
      const outcome = this.status ?? "error";
      const line = JSON.stringify({ cc, start, end, outcome }) + "\n";
      file.writeSync(encoder.encode(line));
    },
  };
}

/** Makes `downloads/`, or exits with one clear line if it cannot be written. */
async function makeDestDir(): Promise<void> {
  try {
    await Deno.mkdir(DEST_DIR, { recursive: true });
    await Deno.remove(await Deno.makeTempFile({ dir: DEST_DIR }));
  } catch (exc) {
    console.error(
      `*** Cannot write to ${DEST_DIR}/: ${(exc as Error).message}`,
    );
    Deno.exit(1);
  }
}

/** Parses the command line, runs `downloadMany` between the two reports; Ctrl-C exits 130. */
export async function main(
  downloadMany: DownloadMany,
  defaultConcurReq: number,
  maxConcurReq: number,
): Promise<void> {
  const [args, ccList] = await processArgs(defaultConcurReq).catch((exc) => {
    if (exc instanceof UsageError) usageExit(exc);
    throw exc;
  });
  const actualReq = Math.min(args.maxReq, maxConcurReq, ccList.length);
  initialReport(ccList, actualReq, args.server, args.baseUrl);
  await makeDestDir();
  if (args.trace) startTrace(args.trace);
  listenForCtrlC();
  const t0 = performance.now();
  const counter = await downloadMany(
    ccList,
    args.baseUrl,
    args.verbose,
    actualReq,
  );
  const total = counter.OK + counter.NOT_FOUND + counter.ERROR;
  if (!interrupted.aborted && total !== ccList.length) {
    throw new Error("some downloads are unaccounted for");
  }
  finalReport(counter, t0);
  // Exit now: tearing down a hundred terminated Workers takes seconds.
  Deno.exit(interrupted.aborted ? 130 : 0);
}
