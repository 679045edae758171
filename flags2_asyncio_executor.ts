/**
 * Download flags of countries concurrently with promises, saving them off
 * the event loop, as *Fluent Python*'s `flags2_asyncio_executor.py` does
 * with `loop.run_in_executor(None, save_flag, ...)`.
 *
 *     deno run -A flags2_asyncio_executor.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * Python hands the blocking `save_flag` to the loop's default thread pool.
 * Deno runs its asynchronous file calls on the runtime's own blocking thread
 * pool, so `saveFlagAsync` is the counterpart, with no pool of ours.
 *
 * @module
 */
import * as asyncMutex from "npm:async-mutex@0.5.0";
import {
  type Counter,
  DEST_DIR,
  DownloadStatus,
  main,
  newCounter,
} from "./flags2_common.ts";
import { getFlag } from "./flags2_sequential.ts";
import { FetchError, type Semaphore } from "./flags2_asyncio.ts";
import { asCompleted, type Future } from "./futures.ts";
import { writeFileWholeAsync } from "./lib/files.ts";
import { errorMessage, HTTPStatusError } from "./lib/http.ts";
import { interrupted } from "./lib/interrupt.ts";
import { tqdm } from "./lib/tqdm.ts";

const DEFAULT_CONCUR_REQ = 5;
const MAX_CONCUR_REQ = 1000;

/**
 * `saveFlag` off the event loop: the write and the rename run on Deno's
 * blocking thread pool, whole or not at all.
 *
 * @param img the flag's bytes
 * @param filename its name in `downloads/`
 * @returns when the file is in place
 * @throws {Deno.errors.NotFound} and other `Deno.errors` if it cannot be
 */
export function saveFlagAsync(
  img: Uint8Array,
  filename: string,
): Promise<void> {
  return writeFileWholeAsync(DEST_DIR + filename, img);
}

/**
 * Downloads the flag of `cc` while holding the semaphore for the request,
 * then saves it with `saveFlagAsync`; awaited, unlike the book's, so that a
 * failed save is an error and the report comes after every flag is in place.
 *
 * @param cc the country code
 * @param baseUrl the server's URL
 * @param semaphore shared by every download
 * @param verbose whether to print `BR OK` or `BR not found`
 * @returns OK, or NOT_FOUND on a 404
 * @throws {FetchError} for any other failure, with it as `cause`
 */
export async function downloadOne(
  cc: string,
  baseUrl: string,
  semaphore: Semaphore,
  verbose: boolean,
): Promise<DownloadStatus> {
  let image: Uint8Array;
  try {
    // `async with semaphore:` around the request
    image = await semaphore.runExclusive(() => getFlag(baseUrl, cc));
  } catch (exc) {
    if (!(exc instanceof HTTPStatusError) || exc.status !== 404) {
      throw new FetchError(cc, exc);
    }
    if (verbose) console.log(cc, "not found");
    return DownloadStatus.NOT_FOUND;
  }
  try {
    await saveFlagAsync(image, `${cc.toLowerCase()}.gif`);
  } catch (exc) {
    throw new FetchError(cc, exc);
  }
  if (verbose) console.log(cc, "OK");
  return DownloadStatus.OK;
}

/**
 * Starts every download at once, at most `concurReq` requests in flight;
 * counts them as they complete.
 *
 * @param ccList the codes
 * @param baseUrl the server's URL
 * @param verbose a line per download instead of the bar
 * @param concurReq the semaphore's count
 * @returns the downloads by status
 */
export async function supervisor(
  ccList: string[],
  baseUrl: string,
  verbose: boolean,
  concurReq: number,
): Promise<Counter> {
  const counter = newCounter();
  const semaphore = new asyncMutex.Semaphore(concurReq);
  const toDo = ccList.toSorted().map((cc) =>
    downloadOne(cc, baseUrl, semaphore, verbose)
  );
  let toDoIter: AsyncIterable<Future<DownloadStatus>> = asCompleted(toDo);
  if (!verbose) toDoIter = tqdm(toDoIter, ccList.length);
  for await (const future of toDoIter) {
    let status: DownloadStatus;
    try {
      status = await future.result();
    } catch (exc) {
      if (interrupted.aborted) continue; // Ctrl-C: count what still finishes
      if (!(exc instanceof FetchError)) throw exc;
      if (verbose) {
        const errorMsg = await errorMessage(exc.cause);
        console.log(`*** Error for ${exc.countryCode}: ${errorMsg}`);
      }
      status = DownloadStatus.ERROR;
    }
    counter[status] += 1;
  }
  return counter;
}

/** Runs `supervisor`: the event loop is already there, unlike `asyncio.run`. */
export function downloadMany(
  ccList: string[],
  baseUrl: string,
  verbose: boolean,
  concurReq: number,
): Promise<Counter> {
  return supervisor(ccList, baseUrl, verbose, concurReq);
}

if (import.meta.main) {
  await main(downloadMany, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ);
}
