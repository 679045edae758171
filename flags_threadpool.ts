/**
 * Download the flags of the 20 most populous countries on a pool of
 * Workers, which stand in for threads: *Fluent Python*'s
 * `flags_threadpool.py` (Example 17-3), with `executor.map`.
 *
 *     deno run -A flags_threadpool.ts [-s LABEL|URL]
 *
 * @module
 */
import { baseUrl, getFlag, main, saveFlag, setBaseUrl, show } from "./flags.ts";
import { ThreadPoolExecutor } from "./futures.ts";
import { exitOnMissingPermission, LOAD_CODE } from "./lib/permissions.ts";
/** `getFlag`'s errors, exported so that they cross back from a Worker with their class. */
export { ConnectionError, HTTPStatusError } from "./lib/http.ts";

const MAX_WORKERS = 20;

/** The Workers' initializer: each downloads from the server that `-s` named. */
export { setBaseUrl };

/** Downloads, shows and saves the flag of `cc` (in a Worker); returns `cc`. */
export async function downloadOne(cc: string): Promise<string> {
  const image = await getFlag(cc);
  show(cc);
  saveFlag(image, `${cc.toLowerCase()}.gif`);
  return cc;
}

/** Maps `downloadOne` over `ccList`, at most 20 at once; returns how many flags came back. */
export async function downloadMany(
  ccList: readonly string[],
): Promise<number> {
  exitOnMissingPermission(LOAD_CODE); // what the Workers load
  const workers = Math.min(MAX_WORKERS, ccList.length);
  await using executor = new ThreadPoolExecutor(workers, import.meta.url, {
    initializer: setBaseUrl,
    initargs: [baseUrl],
  });
  const res = executor.map(downloadOne, ccList.toSorted());
  return (await Array.fromAsync(res)).length;
}

if (import.meta.main) await main(downloadMany);
