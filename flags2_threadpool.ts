/**
 * Download flags of countries on a pool of Workers, which stand in for
 * the threads of *Fluent Python*'s `flags2_threadpool.py`.
 *
 *     deno run -A flags2_threadpool.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * @module
 */
import {
  type Counter,
  DownloadStatus,
  main,
  newCounter,
  plural,
} from "./flags2_common.ts";
import { errorMessage } from "./lib/http.ts";
import { interrupted } from "./lib/interrupt.ts";
import { exitOnMissingPermission, LOAD_CODE } from "./lib/permissions.ts";
import { tracePath } from "./lib/trace.ts";
import { tqdm } from "./lib/tqdm.ts";
import { downloadOne, startTrace } from "./flags2_sequential.ts";
import { asCompleted, type Future, ThreadPoolExecutor } from "./futures.ts";

const DEFAULT_CONCUR_REQ = 30;
const MAX_CONCUR_REQ = 1000;

/** Where the Workers find `downloadOne`: the sequential script, as in the book. */
const DOWNLOAD_MODULE = import.meta.resolve("./flags2_sequential.ts");

/**
 * Submits a `downloadOne` per code to a pool that runs `concurReq` at
 * once, counts the results as they complete.
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
  const counter = newCounter();
  await using executor = new ThreadPoolExecutor(concurReq, DOWNLOAD_MODULE, {
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
