/**
 * Download the flags of the 20 most populous countries, one after the other:
 * the sequential script of *Fluent Python*'s `flags.py` (Example 17-2).
 *
 *     deno run -A flags.ts [-s LABEL|URL]
 *
 * `saveFlag`, `getFlag`, `show` and `main` serve the threadpool and asyncio
 * versions too. The codes, the servers that `-s` names (default LOCAL; or a
 * whole base URL) and the `downloads/` folder are those of `flags2_common.ts`.
 *
 * @module
 */
import { join } from "node:path";
import {
  DEFAULT_SERVER,
  DEST_DIR,
  POP20_CC,
  SERVERS,
} from "./flags2_common.ts";
import {
  connectionError,
  errorMessage,
  HTTPStatusError,
} from "./flags2_sequential.ts";
import * as cli from "./lib/cli.ts";
import { startDefaultServer } from "./lib/default_server.ts";
import { makeWritableDir, writableOrExit } from "./lib/files.ts";
import { readBody } from "./lib/http.ts";

const USAGE = "[-h] [-s LABEL]";

/** The server's base URL: LOCAL until `main`, or a Worker's initializer, sets the one `-s` named. */
let baseUrl: string = SERVERS.LOCAL;

/**
 * Sets the base URL that `getFlag` uses in this thread: `main` calls it,
 * and a pool's initializer in each Worker.
 *
 * @param url the server's base URL, without a trailing slash.
 */
export function setBaseUrl(url: string): void {
  baseUrl = url;
}

/**
 * The base URL that `getFlag` uses in this thread.
 *
 * @returns the server's base URL, without a trailing slash.
 */
export function getBaseUrl(): string {
  return baseUrl;
}

/** Saves `img` as `downloads/{filename}`. */
export function saveFlag(img: Uint8Array, filename: string): void {
  Deno.writeFileSync(join(DEST_DIR, filename), img);
}

/**
 * Fetches the flag of `cc` from the server that `-s` named.
 * @throws {HTTPStatusError} when the server answers with an error status.
 * @throws {ConnectionError} when the connection is refused or breaks.
 * @throws {ResponseTooLargeError} when the body is over 1 MiB.
 */
export async function getFlag(cc: string): Promise<Uint8Array> {
  const url = `${baseUrl}/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`;
  const resp = await fetch(url).catch(connectionError);
  if (!resp.ok) {
    await resp.body?.cancel();
    throw new HTTPStatusError(resp.status, resp.statusText);
  }
  return await readBody(resp).catch(connectionError);
}

/** Prints `text` and a space, with no newline, at once. */
export function show(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${text} `));
}

/** Downloads and saves the flags of `ccList` one at a time, in order; returns how many. */
export async function downloadMany(
  ccList: readonly string[],
): Promise<number> {
  for (const cc of ccList.toSorted()) {
    const image = await getFlag(cc);
    show(cc);
    saveFlag(image, `${cc.toLowerCase()}.gif`);
  }
  return ccList.length;
}

/**
 * Reads `-s`, runs `downloadMany` on `POP20_CC` and prints how many flags it
 * saved and how long it took. A bad option: the usage error and exit 2; a
 * failed download: one line, with the flags2 scripts' words and hint when
 * no test server runs, and exit 1.
 *
 * @param downloadMany the script's way to download the flags
 * @param description what the script does, for `-h`
 *
 * @example
 * ```ts
 * if (import.meta.main) await main(downloadMany);
 * ```
 */
export async function main(
  downloadMany: (ccList: readonly string[]) => Promise<number>,
  description = "Download the flags of the 20 most populous countries.",
): Promise<void> {
  cli.exitOnMissingPermission();
  const [label, url] = await processArgs(Deno.args, description)
    .catch((exc) => cli.usageExit(exc, USAGE));
  setBaseUrl(url);
  await startDefaultServer(label, url);
  await writableOrExit(makeWritableDir, DEST_DIR);
  const t0 = performance.now();
  let count;
  try {
    count = await downloadMany(POP20_CC);
  } catch (exc) {
    console.error(
      `*** Download from ${url} failed: ${await errorMessage(exc)}`,
    );
    await cli.hintNoServer(label, url);
    Deno.exit(1);
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`\n${count} flags downloaded in ${elapsed.toFixed(2)}s`);
}

/**
 * Reads `-s LABEL` or `-s URL`; `-h` prints the help and exits 0.
 *
 * @param argv the arguments after the script's name
 * @param description what the script does, for `-h`
 * @returns the label (LOCAL by default) and its base URL
 * @throws {UsageError} for a command line that makes no sense
 */
async function processArgs(
  argv: string[],
  description: string,
): Promise<[string, string]> {
  const program = (await cli.argumentParser())
    .usage(USAGE)
    .description(description)
    .addOption(cli.serverOption(SERVERS, DEFAULT_SERVER));
  const { server } = cli.parseCommandLine<{ server: string }>(program, argv);
  return cli.resolveServer(server, SERVERS);
}

if (import.meta.main) await main(downloadMany);
