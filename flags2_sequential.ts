/**
 * Download flags of countries one at a time, with error handling: the
 * sequential script of *Fluent Python*'s `flags2_sequential.py`.
 *
 *     deno run -A flags2_sequential.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * `getFlag`, `downloadOne` and `errorMessage` are shared with the other two
 * scripts; Workers load this module, so it imports nothing heavy.
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
import { readBody } from "./lib/http.ts";
import { interrupted, listenForCtrlC } from "./lib/interrupt.ts";
import { tqdm } from "./lib/tqdm.ts";
import { traceSpan } from "./lib/trace.ts";
/** The Workers' initializer, which opens `--trace`'s file in each. */
export { startTrace } from "./lib/trace.ts";

const DEFAULT_CONCUR_REQ = 1;
const MAX_CONCUR_REQ = 1;

/** Seconds a request may take, as in the book's second edition. */
export const TIMEOUT = 3.1;

/** A response whose status is not 2xx, like httpx's `HTTPStatusError`. */
export class HTTPStatusError extends Error {
  /** The class's name, as Python would print it. */
  override name = "HTTPStatusError";
  /** `status` with the reason phrase that came with it. */
  constructor(readonly status: number, readonly reason: string) {
    super(`HTTP error ${status} - ${reason}`);
  }
}

/** A refused, reset or broken connection, like requests' `ConnectionError`. */
export class ConnectionError extends Error {
  /** The class's name, as Python would print it. */
  override name = "ConnectionError";
}

/**
 * Rethrows the `TypeError` of `fetch`, which is how it reports a network
 * error (its URL is valid here), as a `ConnectionError`; `flags.ts` too.
 *
 * @param exc what `fetch` or the body's read threw
 * @throws {ConnectionError} for a `TypeError`; anything else as it came
 */
export function connectionError(exc: unknown): never {
  if (!(exc instanceof TypeError)) throw exc;
  const detail = exc.cause instanceof Error ? exc.cause.message : exc.message;
  throw new ConnectionError(detail, { cause: exc });
}

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
    if (!resp.ok) {
      await resp.body?.cancel();
      throw new HTTPStatusError(resp.status, resp.statusText);
    }
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

/**
 * The verbose line's words for an error, the same in the three scripts.
 *
 * @param exc what `downloadOne` threw, here or in a Worker
 * @returns `HTTP error 418 - I'm a Teapot`, `Connection error`,
 * `Timeout after 3.1s`, or for anything else its own message
 */
export async function errorMessage(exc: unknown): Promise<string> {
  if (exc instanceof HTTPStatusError) {
    // Deno's reason phrases are hyper's ("I'm a teapot"); Node's table has
    // the book's. Imported here, so that Workers never load node:http.
    const { STATUS_CODES } = await import("node:http");
    const reason = STATUS_CODES[exc.status] ?? exc.reason;
    return `HTTP error ${exc.status} - ${reason}`;
  }
  if (exc instanceof ConnectionError) return "Connection error";
  if (exc instanceof DOMException && exc.name === "TimeoutError") {
    return `Timeout after ${TIMEOUT}s`;
  }
  return exc instanceof Error ? exc.message : String(exc);
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
