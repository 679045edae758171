/**
 * Download flags of countries one at a time, with error handling: the
 * sequential script of *Fluent Python*'s `flags2_sequential.py`.
 *
 *     deno run -A flags2_sequential.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * `getFlag` and `downloadOne` are shared with the other two scripts;
 * Workers load this module, so it imports nothing heavy.
 *
 * @module
 */
import {
  type Counter,
  DownloadStatus,
  main,
  newCounter,
  saveFlag,
} from "./flags2_common.ts";
import {
  connectionError,
  errorMessage,
  HTTPStatusError,
  raiseForStatus,
  readBody,
  TIMEOUT,
} from "./lib/http.ts";
import { interrupted, listenForCtrlC } from "./lib/interrupt.ts";
import { tqdm } from "./lib/tqdm.ts";
import { traceSpan } from "./lib/trace.ts";
/** The Workers' initializer, which opens `--trace`'s file in each. */
export { startTrace } from "./lib/trace.ts";
/** `getFlag`'s errors: the pool finds their classes among these exports. */
export { ConnectionError, HTTPStatusError } from "./lib/http.ts";

const DEFAULT_CONCUR_REQ = 1;
const MAX_CONCUR_REQ = 1;

/**
 * Fetches the flag of `cc` from `baseUrl`, or another file of its folder.
 *
 * @param baseUrl the server's URL, without a trailing slash
 * @param cc the country code
 * @param file the flag by default; the flags3 scripts ask for `metadata.json`
 * @returns the file's bytes
 * @throws {HTTPStatusError} when the status is not 2xx
 * @throws {ConnectionError} when the connection is refused or breaks
 * @throws {ResponseTooLargeError} when the body is over 1 MiB
 * @throws {DOMException} "TimeoutError" after `TIMEOUT` seconds, or
 * "AbortError" on Ctrl-C
 */
export async function getFlag(
  baseUrl: string,
  cc: string,
  file = `${cc.toLowerCase()}.gif`,
): Promise<Uint8Array> {
  const url = new URL(`${baseUrl}/${cc.toLowerCase()}/${file}`);
  const signal = AbortSignal.any([
    AbortSignal.timeout(TIMEOUT * 1000),
    listenForCtrlC(), // in a Worker, its first request listens
  ]);
  using span = traceSpan(cc);
  try {
    const resp = await fetch(url, { signal }).catch(connectionError);
    span.status = resp.status;
    await raiseForStatus(resp);
    return await readBody(resp).catch(connectionError);
  } catch (exc) {
    span.error = exc; // the trace says what kind of error
    throw exc;
  }
}

/** Downloads and saves the flag of `cc`: OK, or NOT_FOUND on a 404; other errors propagate. */
export async function downloadOne(
  cc: string,
  baseUrl: string,
  verbose = false,
): Promise<DownloadStatus> {
  let status: DownloadStatus;
  let msg: string;
  try {
    const image = await getFlag(baseUrl, cc);
    saveFlag(image, `${cc.toLowerCase()}.gif`);
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

/** Downloads the flags of `ccList` one after the other; Ctrl-C stops the loop. */
export async function downloadMany(
  ccList: string[],
  baseUrl: string,
  verbose: boolean,
  _concurReq: number,
): Promise<Counter> {
  const counter = newCounter();
  let ccIter: Iterable<string> | AsyncIterable<string> = ccList.toSorted();
  if (!verbose) ccIter = tqdm(ccIter, ccList.length);
  for await (const cc of ccIter) {
    let status: DownloadStatus;
    let errorMsg = "";
    try {
      status = await downloadOne(cc, baseUrl, verbose);
    } catch (exc) {
      if (interrupted.aborted) break;
      status = DownloadStatus.ERROR;
      errorMsg = await errorMessage(exc);
    }
    counter[status] += 1;
    if (verbose && errorMsg) console.log(`*** Error for ${cc}: ${errorMsg}`);
  }
  return counter;
}

if (import.meta.main) {
  await main(downloadMany, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ);
}
