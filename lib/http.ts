/**
 * What the downloaders need of HTTP beyond `fetch`: a body read up to a
 * limit, so that a broken server that answers without end cannot grow the
 * script's memory (flags are at most 36 KB).
 *
 * @module
 */

/** The most bytes a body may have: far above any flag. */
export const MAX_BODY = 1024 * 1024;

/** A body longer than `MAX_BODY`, or that says it is. */
export class ResponseTooLargeError extends Error {
  /** The class's name, as Python would print it. */
  override name = "ResponseTooLargeError";
  constructor() {
    super("Response too large (over 1 MiB)");
  }
}

/**
 * Reads the body of `resp`, at most `MAX_BODY` bytes: past that, or when
 * its Content-Length says more, the rest is not read.
 *
 * @param resp a response whose body is not read yet
 * @returns the body's bytes
 * @throws {ResponseTooLargeError} when the body is longer than `MAX_BODY`
 * @throws {TypeError} when the connection breaks, and {DOMException} when
 * the request's signal aborts, as `Response.bytes` does
 *
 * @example A body under `MAX_BODY`, whole
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBody } from "./http.ts";
 *
 * const body = await readBody(new Response("GIF89a"));
 * assert.deepEqual(body, new TextEncoder().encode("GIF89a"));
 * ```
 */
export async function readBody(resp: Response): Promise<Uint8Array> {
  if (Number(resp.headers.get("content-length")) > MAX_BODY) {
    await resp.body?.cancel();
    throw new ResponseTooLargeError();
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for await (const chunk of resp.body ?? []) {
    size += chunk.length;
    // Leaving the loop cancels the stream: the connection is dropped.
    if (size > MAX_BODY) throw new ResponseTooLargeError();
    chunks.push(chunk);
  }
  return await new Blob(chunks).bytes();
}
