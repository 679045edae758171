/**
 * Download flags of countries concurrently with promises, saving them off
 * the event loop, as *Fluent Python*'s `flags2_asyncio_executor.py` does
 * with `loop.run_in_executor(None, save_flag, ...)`.
 *
 *     deno run -A flags2_asyncio_executor.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * Python hands the blocking `save_flag` to the loop's default thread pool.
 * Deno runs its asynchronous file calls on the runtime's own blocking thread
 * pool, so `saveFlagAsync` is the counterpart, with no pool of ours. All but
 * the save is `flags2_asyncio.ts`'s.
 *
 * @module
 */
import {
  type Counter,
  DEST_DIR,
  type DownloadMany,
  type DownloadStatus,
  main,
} from "./flags2_common.ts";
import { writeFileWholeAsync } from "./lib/files.ts";
import * as asyncio from "./flags2_asyncio.ts";

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
 * `flags2_asyncio.ts`'s `downloadOne`, with the save handed to
 * `saveFlagAsync`; awaited, unlike the book's, so that a failed save is an
 * error and the report comes after every flag is in place.
 */
export function downloadOne(
  cc: string,
  baseUrl: string,
  semaphore: asyncio.Semaphore,
  verbose: boolean,
): Promise<DownloadStatus> {
  return asyncio.downloadOne(cc, baseUrl, semaphore, verbose, saveFlagAsync);
}

/** Runs `flags2_asyncio.ts`'s `supervisor` with this `downloadOne`. */
export const downloadMany: DownloadMany = (...args): Promise<Counter> =>
  asyncio.supervisor(...args, downloadOne);

if (import.meta.main) {
  await main(downloadMany, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ);
}
