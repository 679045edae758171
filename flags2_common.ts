/**
 * Utilities for the second set of flag examples, in the order of *Fluent
 * Python*'s `flags2_common.py`. What the book lacks lives in `lib/`.
 *
 * @module
 */
import { DEST_DIR, POP20_CC } from "./flags.ts";
import {
  type ArgumentParser,
  argumentParser,
  int,
  UsageError,
} from "./lib/cli.ts";
import { startDefaultServer } from "./lib/default_server.ts";
import * as files from "./lib/files.ts";
import {
  DEFAULT_SERVER,
  fetchData,
  hintNoServer,
  keepLoopbackOffProxy,
  resolveServer,
  serverHelp,
  SERVERS,
} from "./lib/http.ts";
import { interrupted, listenForCtrlC } from "./lib/interrupt.ts";
import { exitOnMissingPermission } from "./lib/permissions.ts";
import { startTrace } from "./lib/trace.ts";

/** How one download ended: the second edition's enum (the first's `HTTPStatus`). */
export const DownloadStatus = {
  OK: "OK",
  NOT_FOUND: "NOT_FOUND",
  ERROR: "ERROR",
} as const;
/** How one download ended: `"OK"`, `"NOT_FOUND"` or `"ERROR"`. */
export type DownloadStatus = typeof DownloadStatus[keyof typeof DownloadStatus];

/** Downloads counted by status, like Python's `Counter[DownloadStatus]`. */
export type Counter = Record<DownloadStatus, number>;

/** Returns a new counter with every status at zero, like `collections.Counter()`. */
export const newCounter = (): Counter => ({ OK: 0, NOT_FOUND: 0, ERROR: 0 });

/** The signature `main` expects of each script's `downloadMany`. */
export type DownloadMany = (
  ccList: string[],
  baseUrl: string,
  verbose: boolean,
  concurReq: number,
) => Promise<Counter>;

/** The codes, the folder and the save of `flags.ts`, on which flags2 builds. */
export { DEST_DIR, POP20_CC, saveFlag } from "./flags.ts";
/** The servers that `-s LABEL` names, and its default. */
export { DEFAULT_SERVER, SERVERS } from "./lib/http.ts";
const COUNTRY_CODES_FILE = new URL("./country_codes.txt", import.meta.url);
const A_Z = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** What the command line asks for: argparse's `args`. */
export interface Args {
  /** the CC arguments */ cc: string[];
  /** `-a` */ all: boolean;
  /** `-e` */ every: boolean;
  /** `-l` */ limit: number;
  /** `-m` */ max_req: number;
  /** `-s`'s label, upper-cased, or `CUSTOM` for a URL */ server: string;
  /** the label's URL, or `-s`'s URL */ baseUrl: string;
  /** `-v` */ verbose: boolean;
  /** `--trace` */ trace?: string;
}

/**
 * `count` followed by `noun`, with an "s" unless the count is one.
 *
 * @param count how many
 * @param noun what, in the singular
 * @returns e.g. `"1 flag"`, `"2 flags"`
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Prints the server, the codes and the concurrency before the downloads.
 * @param ccList the codes, sorted
 * @param actualReq the concurrency that will be used
 * @param serverLabel `-s`'s label, or `CUSTOM`
 * @param baseUrl the server's URL
 */
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

/**
 * Prints the counts and the time elapsed since `startTime`.
 * @param counter the downloads by status
 * @param startTime a `performance.now()` from just before the downloads
 */
export function finalReport(counter: Counter, startTime: number): void {
  const elapsed = (performance.now() - startTime) / 1000;
  console.log("-".repeat(20));
  console.log(`${plural(counter.OK, "flag")} downloaded.`);
  if (counter.NOT_FOUND) console.log(`${counter.NOT_FOUND} not found.`);
  if (counter.ERROR) console.log(`${plural(counter.ERROR, "error")}.`);
  console.log(`Elapsed time: ${elapsed.toFixed(2)}s`);
}

/**
 * The codes that `-e`, `-a` or the CC arguments name.
 * @param everyCc `-e`: AA to ZZ, first choice
 * @param allCc `-a`: the codes of `country_codes.txt`, second choice
 * @param ccArgs codes (`BR`) or letters (`B` for BA to BZ), in any case
 * @param limit how many codes to keep at most
 * @returns the codes, de-duplicated, sorted and cut to `limit`
 * @throws {UsageError} for a CC argument that is not A to Z or AA to ZZ
 */
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
    const text = new TextDecoder().decode(await fetchData(COUNTRY_CODES_FILE));
    for (const cc of text.split(/\s+/)) if (cc) codes.add(cc);
  } else {
    for (const cc of ccArgs.map((c) => c.toUpperCase())) {
      if (/^[A-Z]$/.test(cc)) {
        for (const c of A_Z) codes.add(cc + c);
      } else if (/^[A-Z]{2}$/.test(cc)) {
        codes.add(cc);
      } else {
        throw new UsageError(
          "each CC argument must be A to Z or AA to ZZ.",
        );
      }
    }
  }
  return [...codes].sort().slice(0, limit);
}

/**
 * Parses the command line as the book's `process_args`; `-h` prints the
 * help and exits 0, a command line that makes no sense the usage error and
 * exits 2.
 * @param defaultConcurReq the script's default for `-m`
 * @param argv the arguments, `Deno.args` by default
 * @returns the options and the sorted codes (the POP20 when none is named)
 */
export async function processArgs(
  defaultConcurReq: number,
  argv: string[] = Deno.args,
): Promise<[Args, string[]]> {
  // Typed, so that the compiler knows that parser.usageError() exits.
  const parser: ArgumentParser = await argumentParser({
    description:
      "Download flags for country codes. Default: top 20 countries by population.",
  });
  parser.add_argument("cc", {
    metavar: "CC",
    nargs: "*",
    help: "country code or 1st letter (eg. B for BA...BZ)",
  });
  parser.add_argument("-a", "--all", {
    action: "store_true",
    help: "get all available flags (AD to ZW)",
  });
  parser.add_argument("-e", "--every", {
    action: "store_true",
    help: "get flags for every possible code (AA...ZZ)",
  });
  parser.add_argument("-l", "--limit", {
    metavar: "N",
    type: int,
    help: "limit to N first codes",
    default: Infinity,
  });
  parser.add_argument("-m", "--max_req", {
    metavar: "CONCURRENT",
    type: int,
    default: defaultConcurReq,
    help: `maximum concurrent requests (default=${defaultConcurReq})`,
  });
  parser.add_argument("-s", "--server", {
    metavar: "LABEL",
    default: DEFAULT_SERVER,
    help: serverHelp(SERVERS, DEFAULT_SERVER),
  });
  parser.add_argument("-v", "--verbose", {
    action: "store_true",
    help: "output detailed progress info",
  });
  parser.add_argument("--trace", {
    metavar: "FILE",
    help: "write one JSON line per request to FILE",
  });
  const args = parser.parse_args<Args>(argv);
  if (args.max_req < 1) {
    parser.usageError("--max_req CONCURRENT must be >= 1");
  }
  if (args.limit < 1) {
    parser.usageError("--limit N must be >= 1");
  }
  let ccList: string[];
  try {
    [args.server, args.baseUrl] = resolveServer(args.server, SERVERS);
    ccList = await expandCcArgs(args.every, args.all, args.cc, args.limit);
  } catch (exc) {
    if (!(exc instanceof UsageError)) throw exc;
    parser.usageError(exc.message);
  }
  if (!ccList.length) {
    ccList = POP20_CC.toSorted().slice(0, args.limit);
  }
  return [args, ccList];
}

/**
 * Parses the command line, runs `downloadMany` between the two reports.
 * Usage errors exit 2; no network access to the server, an unwritable
 * `downloads/` or `--trace` file 1 before any download; Ctrl-C exits 130
 * after the report.
 * @param downloadMany the script's way to download the flags
 * @param defaultConcurReq the script's default for `-m`
 * @param maxConcurReq the most concurrent requests the script allows
 * @returns never: it exits, with status 0 after the report
 * @throws {AssertionError} (node:assert's) when the counts do not add up
 * to the number of codes
 */
export async function main(
  downloadMany: DownloadMany,
  defaultConcurReq: number,
  maxConcurReq: number,
): Promise<void> {
  exitOnMissingPermission();
  const [args, ccList] = await processArgs(defaultConcurReq);
  const actualReq = Math.min(args.max_req, maxConcurReq, ccList.length);
  initialReport(ccList, actualReq, args.server, args.baseUrl);
  const { host } = new URL(args.baseUrl);
  exitOnMissingPermission({ name: "net", host }); // else N errors.
  await files.writableOrExit(files.makeWritableDir, DEST_DIR);
  if (args.trace) await files.writableOrExit(startTrace, args.trace);
  keepLoopbackOffProxy();
  const server = await startDefaultServer(args.server, args.baseUrl);
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
    // The book's assert; imported here, as Workers load this module.
    const { AssertionError } = await import("node:assert");
    throw new AssertionError({ message: "some downloads are unaccounted for" });
  }
  finalReport(counter, t0);
  if (counter.ERROR === ccList.length) {
    await hintNoServer(args.server, args.baseUrl);
  }
  await server?.close(interrupted); // another script may be using it
  // Exit now: tearing down a hundred terminated Workers takes seconds.
  Deno.exit(interrupted.aborted ? 130 : 0);
}
