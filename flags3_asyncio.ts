/**
 * Download flags and names of countries concurrently with promises, as
 * *Fluent Python*'s `flags3_asyncio.py` does with asyncio: two requests per
 * code, each under the semaphore, and the flag saved off the event loop
 * under the country's name, `downloads/Brazil-BR.gif`.
 *
 *     deno run -A flags3_asyncio.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * `fetch` is asynchronous already, so `getFlag` and `getCountry` are those
 * of `flags2_sequential.ts` and `flags3_threadpool.ts`; the rest is
 * `flags2_asyncio.ts`'s.
 *
 * @module
 */
import {
  type Counter,
  type DownloadMany,
  DownloadStatus,
  main,
} from "./flags2_common.ts";
import { getFlag, HTTPStatusError } from "./flags2_sequential.ts";
import { getCountry } from "./flags3_threadpool.ts";
import { FetchError, type Semaphore, supervisor } from "./flags2_asyncio.ts";
import { saveFlagAsync } from "./flags2_asyncio_executor.ts";

const DEFAULT_CONCUR_REQ = 5;
const MAX_CONCUR_REQ = 1000;

/**
 * Downloads the flag, then the country, of `cc`, taking the semaphore for
 * each request, and saves `Brazil-BR.gif` off the event loop.
 *
 * @param cc the country code
 * @param baseUrl the server's URL
 * @param semaphore shared by every request
 * @param verbose whether to print `BR OK` or `BR not found`
 * @returns OK, or NOT_FOUND on a 404 of either request
 * @throws {FetchError} for any other failure, with it as `cause`
 */
export async function downloadOne(
  cc: string,
  baseUrl: string,
  semaphore: Semaphore,
  verbose: boolean,
): Promise<DownloadStatus> {
  let image: Uint8Array;
  let country: string;
  try {
    await semaphore.acquire();
    try {
      image = await getFlag(baseUrl, cc);
    } finally {
      semaphore.release();
    }
    await semaphore.acquire();
    try {
      country = await getCountry(baseUrl, cc);
    } finally {
      semaphore.release();
    }
  } catch (exc) {
    if (!(exc instanceof HTTPStatusError) || exc.status !== 404) {
      throw new FetchError(cc, exc);
    }
    if (verbose) console.log(cc, "not found");
    return DownloadStatus.NOT_FOUND;
  }
  try {
    await saveFlagAsync(image, `${country.replaceAll(" ", "_")}-${cc}.gif`);
  } catch (exc) {
    throw new FetchError(cc, exc);
  }
  if (verbose) console.log(cc, "OK");
  return DownloadStatus.OK;
}

/** Runs `flags2_asyncio.ts`'s `supervisor` with this `downloadOne`. */
export const downloadMany: DownloadMany = (...args): Promise<Counter> =>
  supervisor(...args, downloadOne);

if (import.meta.main) {
  await main(downloadMany, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ);
}
