/**
 * Download the flags of the 20 most populous countries all at once, with
 * promises on Deno's event loop: *Fluent Python*'s `flags_asyncio.py`.
 *
 *     deno run -A flags_asyncio.ts [-s LABEL|URL]
 *
 * `fetch` is asynchronous already, so the book's coroutines `get_flag` and
 * `download_one` are the `getFlag` of `flags.ts` and the `downloadOne` of
 * `flags_threadpool.ts`, where a Worker awaits them too.
 *
 * @module
 */
import { main } from "./flags.ts";
import { downloadOne } from "./flags_threadpool.ts";

/** Starts a `downloadOne` per code at once and waits for them all; returns how many. */
export async function downloadMany(
  ccList: readonly string[],
): Promise<number> {
  const toDo = ccList.toSorted().map(downloadOne);
  const res = await Promise.all(toDo);
  return res.length;
}

if (import.meta.main) await main(downloadMany);
