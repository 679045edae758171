/**
 * Download flags and names of countries on a pool of Web Workers, as
 * *Fluent Python*'s `flags3_threadpool.py` does on threads: two requests per
 * code, the flag and its `metadata.json`, and the flag saved under the
 * country's name, `downloads/Brazil-BR.gif`.
 *
 *     deno run -A flags3_threadpool.ts [-h] [-a] [-e] [-l N] [-m CONCURRENT] [-s LABEL] [-v] [CC ...]
 *
 * The Workers load this module for its `downloadOne`; `downloadMany` is
 * `flags2_threadpool.ts`'s.
 *
 * @module
 */
import {
  type Counter,
  type DownloadMany,
  DownloadStatus,
  main,
  saveFlag,
} from "./flags2_common.ts";
import { getFlag, HTTPStatusError } from "./flags2_sequential.ts";

// The pool finds its initializer and the errors' classes among the Workers' module's exports.
export {
  ConnectionError,
  HTTPStatusError,
  startTrace,
} from "./flags2_sequential.ts";

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

/** `flags2_threadpool.ts`'s `downloadMany`, its Workers running this `downloadOne`. */
export const downloadMany: DownloadMany = async (...args): Promise<Counter> => {
  // Imported here: the Workers load this module and need none of the pool.
  const threadpool = await import("./flags2_threadpool.ts");
  const job = { module: import.meta.url, downloadOne };
  return await threadpool.downloadMany(...args, job);
};

if (import.meta.main) {
  await main(downloadMany, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ);
}
