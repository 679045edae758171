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
import { parseArgs } from "node:util";
import { DEST_DIR, POP20_CC, SERVERS } from "./flags2_common.ts";
import { resolveServer, UsageError } from "./lib/cli.ts";
import { makeWritableDir, writableOrExit } from "./lib/files.ts";

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
 * @throws {Deno.errors.Http} when the server answers with an error status.
 */
export async function getFlag(cc: string): Promise<Uint8Array> {
  const url = `${baseUrl}/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`;
  const resp = await fetch(url);
  if (!resp.ok) {
    await resp.body?.cancel();
    const problem = `HTTP error ${resp.status} - ${resp.statusText}`;
    throw new Deno.errors.Http(`${problem} for ${cc}`);
  }
  return await resp.bytes();
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
 * saved and how long it took. A bad option: one line and exit 2; a failed
 * download: one line and exit 1.
 *
 * @example
 * ```ts
 * if (import.meta.main) await main(downloadMany);
 * ```
 */
export async function main(
  downloadMany: (ccList: readonly string[]) => Promise<number>,
): Promise<void> {
  setBaseUrl(serverUrl(Deno.args));
  await writableOrExit(makeWritableDir, DEST_DIR);
  const t0 = performance.now();
  let count;
  try {
    count = await downloadMany(POP20_CC);
  } catch (exc) {
    console.error(
      `*** Download from ${baseUrl} failed: ${(exc as Error).message}`,
    );
    Deno.exit(1);
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`\n${count} flags downloaded in ${elapsed.toFixed(2)}s`);
}

/** The base URL that `-s LABEL` or `-s URL` names, LOCAL by default; else one line and exit 2. */
function serverUrl(args: string[]): string {
  try {
    const options = { server: { type: "string", short: "s" } } as const;
    const { server = "LOCAL" } = parseArgs({ args, options }).values;
    return resolveServer(server, SERVERS)[1];
  } catch (exc) {
    // parseArgs throws TypeErrors that carry an ERR_PARSE_ARGS_... code
    const code = String((exc as { code?: unknown }).code);
    if (!(exc instanceof UsageError || code.startsWith("ERR_PARSE_ARGS"))) {
      throw exc;
    }
    const { message } = exc as Error;
    const script = Deno.mainModule.split("/").at(-1);
    console.error(
      `*** Usage error: ${message} (usage: ${script} [-s LABEL|URL])`,
    );
    Deno.exit(2);
  }
}

if (import.meta.main) await main(downloadMany);
