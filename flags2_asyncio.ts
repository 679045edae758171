/**
 * Download flags of countries concurrently with promises, a semaphore and
 * `asCompleted`, as *Fluent Python*'s `flags2_asyncio.py` does with asyncio.
 *
 *     deno run -A flags2_asyncio.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * `fetch` is asynchronous already, so `getFlag` is the sequential script's.
 *
 * @module
 */
import * as asyncMutex from "npm:async-mutex@0.5.0";
import {
  type Counter,
  DownloadStatus,
  main,
  newCounter,
  saveFlag,
} from "./flags2_common.ts";
import { errorMessage, HTTPStatusError } from "./lib/http.ts";
import { interrupted } from "./lib/interrupt.ts";
import { tqdm } from "./lib/tqdm.ts";
import { getFlag } from "./flags2_sequential.ts";
import { asCompleted, type Future } from "./futures.ts";

/** async-mutex's, which `downloadOne` takes: asyncio's `Semaphore` for promises. */
export type Semaphore = asyncMutex.Semaphore;

const DEFAULT_CONCUR_REQ = 5;
const MAX_CONCUR_REQ = 1000;

/** A failed download, carrying its country code and, as `cause`, what went wrong. */
export class FetchError extends Error {
  static {
    this.prototype.name = "FetchError";
  }
  /** The failure of `countryCode`'s download, caused by `cause`. */
  constructor(readonly countryCode: string, cause: unknown) {
    super(`download of ${countryCode} failed`, { cause });
  }
}

/**
 * Downloads and saves the flag of `cc` while holding the semaphore for the
 * request.
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
    // The book hands this to asyncio.to_thread. A flag is a few KB for the
    // page cache: writing it blocks the loop less than a trip to a thread.
    saveFlag(image, `${cc.toLowerCase()}.gif`);
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
