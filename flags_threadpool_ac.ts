/**
 * Download the first 5 of the 20 most populous countries' flags, 3 at a
 * time, with `submit` and `asCompleted`: *Fluent Python*'s
 * `flags_threadpool_ac.py` (Example 17-4). It prints each future as it is
 * scheduled, then again with its result as it completes, first done first.
 *
 *     deno run -A flags_threadpool_ac.ts [-s LABEL|URL]
 *
 * @module
 */
import { baseUrl, main } from "./flags.ts";
import { downloadOne, setBaseUrl } from "./flags_threadpool.ts";
import { asCompleted, type Future, ThreadPoolExecutor } from "./futures.ts";
import { exitOnMissingPermission, LOAD_CODE } from "./lib/permissions.ts";

/** Where the Workers find `downloadOne`. */
const DOWNLOAD_MODULE = import.meta.resolve("./flags_threadpool.ts");

/** Submits `downloadOne` for the first 5 codes to a pool of 3 (`max_workers=3`), prints each future scheduled and completed; returns how many. */
export async function downloadMany(
  ccList: readonly string[],
): Promise<number> {
  exitOnMissingPermission(LOAD_CODE); // what the Workers load
  ccList = ccList.slice(0, 5);
  await using executor = new ThreadPoolExecutor(3, DOWNLOAD_MODULE, {
    initializer: setBaseUrl,
    initargs: [baseUrl],
  });
  const toDo: Future<string>[] = [];
  for (const cc of ccList.toSorted()) {
    const future = executor.submit(downloadOne, cc);
    toDo.push(future);
    console.log(`Scheduled for ${cc}:`, future);
  }
  const results = [];
  for await (const future of asCompleted(toDo)) {
    const res = await future.result();
    console.log(future, `result: '${res}'`);
    results.push(res);
  }
  return results.length;
}

if (import.meta.main) {
  await main(
    downloadMany,
    "Download the first 5 of the 20 most populous countries' flags " +
      "3 at a time, printing each future scheduled and completed.",
  );
}
