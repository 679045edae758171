/**
 * What the downloaders need of HTTP beyond `fetch`: a body read up to a
 * limit, so that a broken server that answers without end cannot grow the
 * script's memory (flags are at most 36 KB); the servers that `-s` names,
 * and a hint when the test servers are not running; an error of its own
 * class for an error status and for a broken connection, as requests and
 * httpx raise them; the words every script prints for an error; and the
 * data files beside the scripts, fetched from their URLs.
 *
 * @module
 */
import { UsageError } from "./cli.ts";
import { grantedEnv } from "./permissions.ts";

/** The most bytes a body may have: far above any flag. */
export const MAX_BODY = 1024 * 1024;

/** A body longer than `MAX_BODY`, or that says it is. */
export class ResponseTooLargeError extends Error {
  static {
    this.prototype.name = "ResponseTooLargeError";
  }
  constructor() {
    super("Response too large (over 1 MiB)");
  }
}

/** The servers that `-s LABEL` names. */
export const SERVERS: Readonly<Record<string, string>> = {
  REMOTE: "https://www.fluentpython.com/data/flags",
  LOCAL: "http://localhost:8001/flags",
  DELAY: "http://localhost:8002/flags",
  ERROR: "http://localhost:8003/flags",
};
/** The server of `-s`'s default. */
export const DEFAULT_SERVER = "LOCAL";

/** Seconds a request may take, as in the book's second edition. */
export const TIMEOUT = 3.1;

/** A response whose status is not 2xx, like httpx's `HTTPStatusError`. */
export class HTTPStatusError extends Error {
  static {
    this.prototype.name = "HTTPStatusError";
  }
  /** `status` with the reason phrase that came with it. */
  constructor(readonly status: number, readonly reason: string) {
    super(`HTTP error ${status} - ${reason}`);
  }
}

/** A refused, reset or broken connection, like requests' `ConnectionError`. */
export class ConnectionError extends Error {
  static {
    this.prototype.name = "ConnectionError";
  }
}

/**
 * Rethrows the `TypeError` of `fetch`, which is how it reports a network
 * error (the downloaders' URLs are valid), as a `ConnectionError`.
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
 * Throws for a status that is not 2xx, as requests' `raise_for_status`;
 * the body, unread, is cancelled first.
 *
 * @param resp a response whose body is not read yet
 * @throws {HTTPStatusError} when `resp.ok` is false
 */
export async function raiseForStatus(resp: Response): Promise<void> {
  if (resp.ok) return;
  await resp.body?.cancel();
  throw new HTTPStatusError(resp.status, resp.statusText);
}

/**
 * The bytes of a data file beside the scripts (`flags.zip`,
 * `country_codes.txt`), at a URL made from `import.meta.url`: fetched, as
 * Deno's `fetch` reads `file:` URLs too, so that a clone reads the file
 * from its folder and a script run by its URL from the host that serves it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchData } from "./http.ts";
 *
 * const codes = await fetchData(new URL("../country_codes.txt", import.meta.url));
 * const text = new TextDecoder().decode(codes);
 * assert.equal(text.split(/\s+/).filter(Boolean).length, 194);
 * ```
 *
 * @param url a `file:`, `http:` or `https:` URL
 * @returns the file's bytes
 * @throws {Deno.errors.NotCapable} without read access to a `file:` URL,
 *   or net access to the host of an `http(s):` one
 * @throws {TypeError} when the file is missing, or the host cannot be reached
 * @throws {HTTPStatusError} when the host answers with an error status
 */
export async function fetchData(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const resp = await fetch(url);
  await raiseForStatus(resp);
  return await resp.bytes();
}

/**
 * The words for an error, the same in every download script.
 *
 * @param exc what a download threw, here or in a Worker
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

/**
 * The label and base URL that `-s` names: one of `servers`, in any case,
 * or beyond the book a whole `http(s)://` URL, labelled `CUSTOM`. The
 * environment variable `FLAGS2_{LABEL}_URL` (`FLAGS2_LOCAL_URL`...) moves a
 * label elsewhere, when environment access is granted (it is never asked for).
 *
 * @param server the `-s` value
 * @param servers the URLs by label
 * @returns the label, upper-cased, and its URL without trailing slashes
 * @throws {UsageError} for a label not in `servers`, or a URL that is not
 * `http(s)://` with a host
 */
export function resolveServer(
  server: string,
  servers: Readonly<Record<string, string>>,
): [string, string] {
  // A scheme (`http:`, `ftp:`...) makes it a URL; labels have no colon.
  if (/^[a-z][a-z\d+.-]*:/i.test(server)) {
    return ["CUSTOM", httpUrl("--server URL", server)];
  }
  const label = server.toUpperCase();
  if (!(label in servers)) {
    throw new UsageError(
      `--server must be a label (${labels(servers)}) or a base URL`,
    );
  }
  const variable = `FLAGS2_${label}_URL`;
  const moved = grantedEnv(variable);
  return [label, moved ? httpUrl(variable, moved) : servers[label]];
}

/**
 * The help of `-s LABEL`: the book's words, with the labels of `servers`,
 * a base URL, and the default.
 *
 * @param servers the URLs by label
 * @param label the default label
 * @returns the help, for `add_argument`
 */
export function serverHelp(
  servers: Readonly<Record<string, string>>,
  label: string,
): string {
  return `Server to hit; one of ${
    labels(servers)
  }, or a base URL (default=${label})`;
}

/** The labels of `servers`, sorted, joined by commas. */
function labels(servers: Readonly<Record<string, string>>): string {
  return Object.keys(servers).sort().join(", ");
}

/** `value` as a base URL, without trailing slashes; a `UsageError` unless http(s) with a host. */
function httpUrl(what: string, value: string): string {
  const url = URL.parse(value);
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
    throw new UsageError(
      `${what} must be an http:// or https:// URL with a host, not '${value}'`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/** The labels of the servers that `deno task serve` starts. */
const TEST_SERVERS = ["LOCAL", "DELAY", "ERROR"];

/** Where Deno's fetch finds an HTTP proxy. */
const PROXY_VARIABLES = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "ALL_PROXY",
  "all_proxy",
];
/** Loopback as `NO_PROXY` names it: a host name, a CIDR block, an address. */
const LOOPBACK = "localhost,127.0.0.0/8,::1";

/**
 * Keeps requests to loopback off an HTTP proxy. Deno's fetch sends every
 * request to the proxy of `HTTP_PROXY` (or `ALL_PROXY`) when one is set,
 * to localhost too, unless `NO_PROXY` names the host; it reads them when a
 * thread makes its first request. With env access granted (never asked
 * for), this adds loopback to `NO_PROXY` before this process's first
 * request, and Workers started later follow; without, `hintNoServer` says
 * what to set when the proxy fails.
 */
export function keepLoopbackOffProxy(): void {
  if (Deno.permissions.querySync({ name: "env" }).state !== "granted") return;
  if (!PROXY_VARIABLES.some((name) => Deno.env.get(name))) return;
  // NO_PROXY, even empty, hides no_proxy.
  const noProxy = Deno.env.get("NO_PROXY") || Deno.env.get("no_proxy");
  Deno.env.set("NO_PROXY", noProxy ? `${noProxy},${LOOPBACK}` : LOOPBACK);
}

/** A status that a proxy answers when it cannot reach the server. */
const GATEWAY_ERRORS = new Set([502, 503, 504]);

/**
 * After a run where every download failed, says on standard error why, if
 * `label` is one of the test servers: nothing answers at `baseUrl` (start
 * the test servers), or something does but fetch's requests go to an HTTP
 * proxy that fails (set `NO_PROXY`).
 *
 * @param label the server's label
 * @param baseUrl its URL
 */
export async function hintNoServer(
  label: string,
  baseUrl: string,
): Promise<void> {
  if (!TEST_SERVERS.includes(label)) return;
  const { hostname, port } = new URL(baseUrl);
  // A client whose one transport is the server's address: never a proxy.
  using direct = Deno.createHttpClient({
    proxy: {
      transport: "tcp",
      hostname: hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(port) || 80,
    },
  });
  const answer = await headStatus(baseUrl, direct);
  if (answer === "unreachable") {
    console.error(
      `*** No server at ${baseUrl}: start the test servers with ` +
        `"deno task serve" in another terminal.`,
    );
    return;
  }
  const viaFetch = await headStatus(baseUrl);
  if (
    viaFetch === "unreachable" ||
    GATEWAY_ERRORS.has(viaFetch as number) &&
      !GATEWAY_ERRORS.has(answer as number)
  ) {
    console.error(
      `*** A server answers at ${baseUrl}, but fetch's requests go to an ` +
        `HTTP proxy (HTTP_PROXY or ALL_PROXY), which fails: set ` +
        `NO_PROXY=${LOOPBACK}, or grant --allow-env, with which the script ` +
        `keeps loopback off the proxy.`,
    );
  }
}

/**
 * The status that a HEAD of `url` gets within a second: "timeout" when
 * someone is there but slow, "unreachable" for a network error.
 */
async function headStatus(
  url: string,
  client?: Deno.HttpClient,
): Promise<number | "timeout" | "unreachable"> {
  try {
    const signal = AbortSignal.timeout(1000);
    const resp = await fetch(url, { method: "HEAD", signal, client });
    await resp.body?.cancel();
    return resp.status;
  } catch (exc) {
    if (exc instanceof TypeError) return "unreachable"; // fetch's network error
    if (exc instanceof DOMException && exc.name === "TimeoutError") {
      return "timeout";
    }
    throw exc;
  }
}
