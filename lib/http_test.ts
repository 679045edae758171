/**
 * Unit tests of `lib/http.ts`: the body read up to its limit, the error
 * layer against real servers on 127.0.0.1 (a 418, a port with no one, an
 * answer that never comes), and `-s`'s label or URL.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ConnectionError,
  connectionError,
  errorMessage,
  HTTPStatusError,
  MAX_BODY,
  raiseForStatus,
  readBody,
  resolveServer,
  ResponseTooLargeError,
} from "./http.ts";
import { UsageError } from "./cli.ts";
import { SERVERS } from "../flags2_common.ts";
import { freePort } from "../testing/harness.ts";

const CHUNK = 64 * 1024;

/** Serves `handler` on a free port of 127.0.0.1 until disposed of. */
function serve(handler: Deno.ServeHandler) {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** What `fetch(url, init)`, `raiseForStatus` and `readBody` throw, as the downloaders call them. */
async function getError(url: string, init?: RequestInit): Promise<unknown> {
  try {
    const resp = await fetch(url, init).catch(connectionError);
    await raiseForStatus(resp);
    await readBody(resp).catch(connectionError);
  } catch (exc) {
    return exc;
  }
  throw new Error(`${url} answered with a good body`);
}

Deno.test("readBody: a body up to 1 MiB whole, past it ResponseTooLargeError", async () => {
  const exact = new Uint8Array(MAX_BODY).fill(7);
  assert.deepEqual(await readBody(new Response(exact)), exact);
  await assert.rejects(
    readBody(new Response(new Uint8Array(MAX_BODY + 1))),
    (exc) =>
      exc instanceof ResponseTooLargeError &&
      exc.message === "Response too large (over 1 MiB)",
  );
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      controller.enqueue(new Uint8Array(CHUNK));
    },
  });
  await assert.rejects(readBody(new Response(endless)), ResponseTooLargeError);
  assert.ok(pulled <= MAX_BODY / CHUNK + 2, `${pulled} chunks read`);
  const declared = new Response("small", {
    headers: { "content-length": String(MAX_BODY + 1) },
  });
  await assert.rejects(readBody(declared), ResponseTooLargeError);
});

Deno.test("errorMessage of a 418: HTTPStatusError, in the book's words", async () => {
  await using server = serve(() => new Response("tea", { status: 418 }));
  const exc = await getError(server.url);
  assert.ok(exc instanceof HTTPStatusError, String(exc));
  assert.equal(exc.status, 418);
  assert.equal(await errorMessage(exc), "HTTP error 418 - I'm a Teapot");
});

Deno.test("errorMessage of a port with no server: ConnectionError, Connection error", async () => {
  const exc = await getError(`http://127.0.0.1:${freePort()}/`);
  assert.ok(exc instanceof ConnectionError, String(exc));
  assert.ok(exc.cause instanceof TypeError, String(exc.cause));
  assert.equal(await errorMessage(exc), "Connection error");
});

Deno.test("errorMessage of an answer that never comes: Timeout after 3.1s", async () => {
  const never = Promise.withResolvers<Response>();
  await using server = serve(() => never.promise);
  // Disposed of first: the server can then shut down.
  using _answer = { [Symbol.dispose]: () => never.resolve(new Response()) };
  const exc = await getError(server.url, { signal: AbortSignal.timeout(50) });
  assert.ok(exc instanceof DOMException, String(exc));
  assert.equal(exc.name, "TimeoutError");
  assert.equal(await errorMessage(exc), "Timeout after 3.1s");
});

Deno.test("errorMessage keys on classes: only fetch's network error reads Connection error", async () => {
  // A bug of ours is a TypeError too: outside fetch, it shows its message.
  const bug = new TypeError("cc.toLowerCase is not a function");
  assert.equal(await errorMessage(bug), "cc.toLowerCase is not a function");
  // connectionError passes on what is not fetch's TypeError.
  const other = new RangeError("not a network error");
  assert.throws(() => connectionError(other), (exc) => exc === other);
  // A name alone does not make an error of that class.
  const named = Object.assign(new Error("HTTP error 404"), {
    name: "HTTPStatusError",
    status: 404,
  });
  assert.equal(await errorMessage(named), "HTTP error 404");
  assert.equal(await errorMessage("a string"), "a string");
});

Deno.test("raiseForStatus: a 2xx passes, its body unread", async () => {
  await using server = serve(() => new Response("GIF89a"));
  const resp = await fetch(server.url);
  await raiseForStatus(resp);
  assert.equal(await resp.text(), "GIF89a");
});

Deno.test("resolveServer: a label not in SERVERS, or a URL not http(s) with a host, is a usage error", () => {
  assert.throws(
    () => resolveServer("nowhere", SERVERS),
    new UsageError(
      "--server must be a label (DELAY, ERROR, LOCAL, REMOTE) or a base URL",
    ),
  );
  for (const url of ["http://", "https:", "http://:80/f", "ftp://x/f", "a:b"]) {
    assert.throws(
      () => resolveServer(url, SERVERS),
      new UsageError(
        `--server URL must be an http:// or https:// URL with a host, not '${url}'`,
      ),
    );
  }
});
