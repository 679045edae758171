/**
 * Utilities for the second set of flag examples, in the order of *Fluent
 * Python*'s `flags2_common.py`. What the book lacks lives in `lib/`.
 *
 * @module
 */
import * as cli from "./lib/cli.ts";
import { startDefaultServer } from "./lib/default_server.ts";
import * as files from "./lib/files.ts";
import { interrupted, listenForCtrlC } from "./lib/interrupt.ts";
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

/** The 20 most populous countries, downloaded when no code is given. */
export const POP20_CC: readonly string[] = (
  "CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR"
).split(" ");

/** The servers that `-s LABEL` names. */
export const SERVERS: Readonly<Record<string, string>> = {
  REMOTE: "https://www.fluentpython.com/data/flags",
  LOCAL: "http://localhost:8001/flags",
  DELAY: "http://localhost:8002/flags",
  ERROR: "http://localhost:8003/flags",
};
/** The server of `-s`'s default. */
export const DEFAULT_SERVER = "LOCAL";

/** Where the flags are saved, in the current directory. */
export const DEST_DIR = "downloads/";
const COUNTRY_CODES_FILE = new URL("./country_codes.txt", import.meta.url);
const A_Z = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const USAGE =
  "[-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [--trace FILE] [CC ...]";

/** What the command line asks for, like argparse's `args`. */
export interface Args {
  /** `-a` */ all?: boolean;
  /** `-e` */ every?: boolean;
  /** `-l` */ limit: number;
  /** `-m` */ max_req: number;
  /** `-s`'s label, upper-cased, or `CUSTOM` for a URL */ server: string;
  /** the label's URL, or `-s`'s URL */ baseUrl: string;
  /** `-v` */ verbose?: boolean;
  /** `--trace` */ trace?: string;
}

/**
 * Saves `img` as `downloads/{filename}`, blocking like the book's
 * `save_flag`, whole or not at all.
 * @param img the flag's bytes
 * @param filename its name in `downloads/`
 * @throws {Deno.errors.NotFound} and other `Deno.errors` if it cannot be
 */
export function saveFlag(img: Uint8Array, filename: string): void {
  files.writeFileWhole(DEST_DIR + filename, img);
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
  console.log(`Searching for ${cli.plural(ccList.length, "flag")}: ${ccMsg}`);
  console.log(
    `${cli.plural(actualReq, "concurrent connection")} will be used.`,
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
  console.log(`${cli.plural(counter.OK, "flag")} downloaded.`);
  if (counter.NOT_FOUND) console.log(`${counter.NOT_FOUND} not found.`);
  if (counter.ERROR) console.log(`${cli.plural(counter.ERROR, "error")}.`);
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
    const text = await Deno.readTextFile(COUNTRY_CODES_FILE);
    for (const cc of text.split(/\s+/)) if (cc) codes.add(cc);
  } else {
    for (const cc of ccArgs.map((c) => c.toUpperCase())) {
      if (/^[A-Z]$/.test(cc)) {
        for (const c of A_Z) codes.add(cc + c);
      } else if (/^[A-Z]{2}$/.test(cc)) {
        codes.add(cc);
      } else {
        throw new cli.UsageError(
          "each CC argument must be A to Z or AA to ZZ.",
        );
      }
    }
  }
  return [...codes].sort().slice(0, limit);
}

/**
 * Parses the command line; `-h` prints the help and exits 0.
 * @param defaultConcurReq the script's default for `-m`
 * @param argv the arguments, `Deno.args` by default
 * @returns the options and the sorted codes (the POP20 when none is named)
 * @throws {UsageError} for a command line that makes no sense
 */
export async function processArgs(
  defaultConcurReq: number,
  argv: string[] = Deno.args,
): Promise<[Args, string[]]> {
  const program = (await cli.argumentParser())
    .usage(USAGE)
    .description(
      "Download flags for country codes. Default: top 20 countries by population.",
    )
    .argument("[CC...]", "country code or 1st letter (eg. B for BA...BZ)")
    .option("-a, --all", "get all available flags (AD to ZW)")
    .option("-e, --every", "get flags for every possible code (AA...ZZ)")
    .option("-l, --limit <N>", "limit to N first codes", cli.integer)
    .option(
      "-m, --max_req <CONCURRENT>",
      `maximum concurrent requests (default=${defaultConcurReq})`,
      cli.integer,
      defaultConcurReq,
    )
    .addOption(cli.serverOption(SERVERS, DEFAULT_SERVER))
    .option("-v, --verbose", "output detailed progress info")
    .option("--trace <FILE>", "write one JSON line per request to FILE");
  const args = cli.parseCommandLine<Args>(program, argv);
  args.limit ??= Infinity;
  if (args.max_req < 1) {
    throw new cli.UsageError("--max_req CONCURRENT must be >= 1");
  }
  if (args.limit < 1) throw new cli.UsageError("--limit N must be >= 1");
  [args.server, args.baseUrl] = cli.resolveServer(args.server, SERVERS);
  const { every = false, all = false, limit } = args;
  const ccList = await expandCcArgs(every, all, program.args, limit);
  return [args, ccList.length ? ccList : POP20_CC.toSorted().slice(0, limit)];
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
 *
 * @example
 * ```ts ignore
 * import { main } from "./flags2_common.ts";
 * import { downloadMany } from "./flags2_sequential.ts";
 * if (import.meta.main) await main(downloadMany, 1, 1);
 * ```
 */
export async function main(
  downloadMany: DownloadMany,
  defaultConcurReq: number,
  maxConcurReq: number,
): Promise<void> {
  cli.exitOnMissingPermission();
  const [args, ccList] = await processArgs(defaultConcurReq)
    .catch((exc) => cli.usageExit(exc, USAGE));
  const actualReq = Math.min(args.max_req, maxConcurReq, ccList.length);
  initialReport(ccList, actualReq, args.server, args.baseUrl);
  const { host } = new URL(args.baseUrl);
  cli.exitOnMissingPermission({ name: "net", host }); // else N errors.
  await startDefaultServer(args.server, args.baseUrl);
  await files.writableOrExit(files.makeWritableDir, DEST_DIR);
  if (args.trace) await files.writableOrExit(startTrace, args.trace);
  listenForCtrlC();
  const t0 = performance.now();
  const counter = await downloadMany(
    ccList,
    args.baseUrl,
    args.verbose ?? false,
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
    await cli.hintNoServer(args.server, args.baseUrl);
  }
  // Exit now: tearing down a hundred terminated Workers takes seconds.
  Deno.exit(interrupted.aborted ? 130 : 0);
}
