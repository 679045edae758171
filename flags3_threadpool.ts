/**
 * Download flags and names of countries on a pool of Workers, as
 * *Fluent Python*'s `flags3_threadpool.py` does on threads: two requests per
 * code, the flag and its `metadata.json`, and the flag saved under the
 * country's name, `downloads/Brazil-BR.gif`.
 *
 *     deno run -A flags3_threadpool.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * The Workers load this module for its `downloadOne`.
 *
 * @module
 */
import {
  type Counter,
  DownloadStatus,
  main,
  newCounter,
  plural,
  saveFlag,
} from "./flags2_common.ts";
import { getFlag } from "./flags2_sequential.ts";
import type { Future } from "./futures.ts";
import { errorMessage, HTTPStatusError } from "./lib/http.ts";
import { interrupted } from "./lib/interrupt.ts";
import { exitOnMissingPermission, LOAD_CODE } from "./lib/permissions.ts";
import { startTrace, tracePath } from "./lib/trace.ts";
import { tqdm } from "./lib/tqdm.ts";
// The pool finds its initializer and the errors' classes among the Workers' module's exports.
export { ConnectionError, HTTPStatusError } from "./lib/http.ts";
export { startTrace } from "./lib/trace.ts";

const DEFAULT_CONCUR_REQ = 30;
const MAX_CONCUR_REQ = 1000;

/**
 * Fetches the name of `cc`'s country from its `metadata.json`.
 *
 * @param baseUrl the server's URL, without a trailing slash
 * @param cc the country code
 * @returns its `country`, e.g. `Korea, North`
 * @throws {HTTPStatusError} and the other errors of `getFlag`
 * @throws {SyntaxError} when the file is not JSON
 * @throws {Error} when it has no `country` that can be part of a file name
 */
export async function getCountry(baseUrl: string, cc: string): Promise<string> {
  const json = await getFlag(baseUrl, cc, "metadata.json");
  const country = JSON.parse(new TextDecoder().decode(json))?.country;
  // The name goes into a path: no folder, however the server names it.
  const unsafe = ["/", "\\", "\0"];
  if (typeof country !== "string" || unsafe.some((c) => country.includes(c))) {
    throw new Error(`No country name for a file in metadata.json: ${country}`);
  }
  return country;
}

/** Downloads the flag and the country of `cc`, saves `Brazil-BR.gif`: OK, or NOT_FOUND on a 404 of either. */
export async function downloadOne(
  cc: string,
  baseUrl: string,
  verbose = false,
): Promise<DownloadStatus> {
  let status: DownloadStatus;
  let msg: string;
  try {
    const image = await getFlag(baseUrl, cc);
    const country = await getCountry(baseUrl, cc);
    saveFlag(image, `${country.replaceAll(" ", "_")}-${cc}.gif`);
    status = DownloadStatus.OK;
    msg = "OK";
  } catch (exc) {
    if (!(exc instanceof HTTPStatusError) || exc.status !== 404) throw exc;
    status = DownloadStatus.NOT_FOUND;
    msg = "not found";
  }
  if (verbose) console.log(cc, msg);
  return status;
}

/**
 * Submits a `downloadOne` of this module per code to a pool that runs
 * `concurReq` at once, counts the results as they complete.
 *
 * @param ccList the codes
 * @param baseUrl the server's URL
 * @param verbose a line per download instead of the bar
 * @param concurReq the most downloads at once, the pool's `maxWorkers`
 * @returns the downloads by status
 */
export async function downloadMany(
  ccList: string[],
  baseUrl: string,
  verbose: boolean,
  concurReq: number,
): Promise<Counter> {
  exitOnMissingPermission(LOAD_CODE); // what the Workers load
  // Imported here: the Workers load this module and need none of the pool.
  const { asCompleted, ThreadPoolExecutor } = await import("./futures.ts");
  const counter = newCounter();
  await using executor = new ThreadPoolExecutor(concurReq, import.meta.url, {
    initializer: startTrace,
    initargs: [tracePath()],
  });
  const cancelWaiting = () => executor.shutdown({ cancelFutures: true });
  interrupted.addEventListener("abort", cancelWaiting); // on Ctrl-C
  const toDoMap = new Map<Future<DownloadStatus>, string>();
  for (const cc of ccList.toSorted()) {
    const future = executor.submit(downloadOne, cc, baseUrl, verbose);
    toDoMap.set(future, cc);
  }
  let doneIter: AsyncIterable<Future<DownloadStatus>> = asCompleted(
    toDoMap.keys(),
  );
  if (!verbose) doneIter = tqdm(doneIter, ccList.length);
  for await (const future of doneIter) {
    let status: DownloadStatus;
    let errorMsg = "";
    try {
      status = await future.result();
    } catch (exc) {
      if (interrupted.aborted) continue; // Ctrl-C: count what still finishes
      status = DownloadStatus.ERROR;
      errorMsg = await errorMessage(exc);
    }
    counter[status] += 1;
    if (verbose && errorMsg) {
      console.log(`*** Error for ${toDoMap.get(future)}: ${errorMsg}`);
    }
  }
  if (verbose) {
    // Downloads await, so a Worker carries many: the Workers are few.
    const workers = plural(executor.workersCreated, "Worker");
    const peak = plural(executor.peakRunning, "download");
    console.log(`The pool created ${workers}; at most ${peak} ran at once.`);
  }
  return counter;
}

if (import.meta.main) {
  await main(downloadMany, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ);
}
