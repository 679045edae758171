/**
 * Download the flags of the 20 most populous countries, one after the other:
 * *Fluent Python*'s `flags.py` (Example 17-2). The threadpool and asyncio
 * versions, and the flags2 scripts, build on it.
 *
 *     deno run -A flags.ts [-s LABEL|URL]
 *
 * @module
 */
import { join } from "node:path";
import { type ArgumentParser, argumentParser, UsageError } from "./lib/cli.ts";
import {
  makeWritableDir,
  writableOrExit,
  writeFileWhole,
} from "./lib/files.ts";
import {
  connectionError,
  DEFAULT_SERVER,
  errorMessage,
  hintNoServer,
  keepLoopbackOffProxy,
  raiseForStatus,
  readBody,
  resolveServer,
  serverHelp,
  SERVERS,
} from "./lib/http.ts";
import { startDefaultServer } from "./lib/default_server.ts";
import { endLineOnCtrlC } from "./lib/interrupt.ts";
import { exitOnMissingPermission } from "./lib/permissions.ts";

/** The 20 most populous countries. */
export const POP20_CC: readonly string[] = (
  "CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR"
).split(" ");

/** The base URL of `getFlag` in this thread: `-s`'s once `setBaseUrl` ran. */
export let baseUrl: string = SERVERS[DEFAULT_SERVER];

/** Where the flags are saved, in the current directory. */
export const DEST_DIR = "downloads/";

/** Saves `img` as `downloads/{filename}`, whole or not at all; throws if it cannot. */
export function saveFlag(img: Uint8Array, filename: string): void {
  writeFileWhole(join(DEST_DIR, filename), img);
}

/** Sets `baseUrl`: `main` calls it, and a pool's initializer in each Worker. */
export function setBaseUrl(url: string): void {
  baseUrl = url;
}

/** Fetches the flag of `cc`; throws `lib/http.ts`'s errors, as requests raises its own. */
export async function getFlag(cc: string): Promise<Uint8Array> {
  const url = `${baseUrl}/${cc.toLowerCase()}/${cc.toLowerCase()}.gif`;
  const resp = await fetch(url).catch(connectionError);
  await raiseForStatus(resp);
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
 * Runs `downloadMany` on `POP20_CC`, prints how many flags and how long.
 * A failed download: one line, the hint if no test server runs, exit 1.
 * @param downloadMany the script's way to download the flags
 * @param description what the script does, for `-h`
 */
export async function main(
  downloadMany: (ccList: readonly string[]) => Promise<number>,
  description = "Download the flags of the 20 most populous countries.",
): Promise<void> {
  exitOnMissingPermission();
  const [label, url] = await processArgs(Deno.args, description);
  setBaseUrl(url);
  await writableOrExit(makeWritableDir, DEST_DIR);
  keepLoopbackOffProxy();
  const server = await startDefaultServer(label, url);
  endLineOnCtrlC();
  const t0 = performance.now();
  let count;
  try {
    count = await downloadMany(POP20_CC);
  } catch (exc) {
    console.error(
      `*** Download from ${url} failed: ${await errorMessage(exc)}`,
    );
    await hintNoServer(label, url);
    await server?.close();
    Deno.exit(1);
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`\n${count} flags downloaded in ${elapsed.toFixed(2)}s`);
  await server?.close(); // another script may be using it
}

/**
 * Reads `-s LABEL` or `-s URL`; `-h` prints the help and exits 0, a bad
 * command line the usage error and exits 2.
 *
 * @param argv the arguments after the script's name
 * @param description what the script does, for `-h`
 * @returns the label (LOCAL by default) and its base URL
 */
async function processArgs(
  argv: string[],
  description: string,
): Promise<[string, string]> {
  const parser: ArgumentParser = await argumentParser({ description });
  parser.add_argument("-s", "--server", {
    metavar: "LABEL",
    default: DEFAULT_SERVER,
    help: serverHelp(SERVERS, DEFAULT_SERVER),
  });
  const args = parser.parse_args(argv);
  try {
    return resolveServer(args.server, SERVERS);
  } catch (exc) {
    if (!(exc instanceof UsageError)) throw exc;
    parser.usageError(exc.message);
  }
}

if (import.meta.main) await main(downloadMany);
