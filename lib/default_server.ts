/**
 * The embedded default server: a script given LOCAL, DELAY or ERROR whose
 * port nothing serves serves that label itself, from flags.zip, for as long
 * as it runs, so that one command downloads flags on a fresh clone.
 * `deno task serve` keeps the servers running between runs.
 *
 * The server listens with `reusePort`: two scripts started at once both
 * serve the port, and the kernel (Linux) shares the connections between
 * them. A script that finds a server there uses it: `deno task serve`'s,
 * or another script's. At its end, a script's server answers until no
 * request has come for a moment, so that another script downloading from
 * it is not cut off, then closes.
 *
 * The server runs in a Worker, so that it can go on answering while
 * `Deno.exit`'s `unload` holds the main thread; a node:worker_threads
 * Worker, whose `unref` lets a script end as if it were not there.
 *
 * @module
 */
import type { PRESETS } from "../slow_server.ts";
import {
  exitOnMissingPermission,
  LOAD_CODE,
  READ_DATA,
} from "./permissions.ts";

/** A label of `deno task serve`'s: LOCAL, DELAY or ERROR. */
export type Label = keyof typeof PRESETS;

// slow_server.ts's PRESETS, checked by type: the Workers of the pools load
// this module, and slow_server.ts would cost each of them its imports.
const LABELS: Record<Label, true> = { LOCAL: true, DELAY: true, ERROR: true };

/**
 * At exit, the server answers until no request has come for `IDLE_MS`:
 * another script may be downloading from it, on connections it keeps
 * open; closing them under its next request would fail that request. At
 * most `LINGER_MS`, and not after Ctrl-C (exit 130).
 */
const IDLE_MS = 50;
const LINGER_MS = 60_000;
/** How long `Deno.exit` waits for the server at most, lingering included. */
const STOP_WAIT_MS = LINGER_MS + 2000;

/** Where a script serves a label itself. */
export interface DefaultAddress {
  /** The label: LOCAL, DELAY or ERROR. */
  label: Label;
  /** A loopback address: `localhost`, `127.x.x.x` or `::1`. */
  hostname: string;
  /** The label's port. */
  port: number;
}

/** The embedded server of a label, running. */
export interface DefaultServer extends AsyncDisposable {
  /** The label's base URL, which the server serves. */
  readonly url: string;
  /**
   * Stops listening, answers the requests under way, then ends the Worker.
   *
   * @returns a promise that resolves when the Worker has ended
   */
  shutdown(): Promise<void>;
}

/** What the Worker posts once: the port it listens on, or why it does not. */
type Started = { port: number } | { error: string; addrInUse: boolean };

/**
 * Where a script would serve `label` itself: LOCAL, DELAY and ERROR, at
 * an `http://` URL of this machine's loopback ending in `/flags`. A
 * `-s URL` (label CUSTOM) and REMOTE are never served, nor an address that
 * other machines could reach.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultAddress } from "./default_server.ts";
 *
 * assert.deepEqual(
 *   defaultAddress("LOCAL", "http://localhost:8001/flags"),
 *   { label: "LOCAL", hostname: "localhost", port: 8001 },
 * );
 * assert.equal(defaultAddress("CUSTOM", "http://localhost:8001/flags"), undefined);
 * assert.equal(defaultAddress("REMOTE", "https://www.fluentpython.com/data/flags"), undefined);
 * ```
 *
 * @param label the label `-s` named, upper-cased, or CUSTOM
 * @param url its base URL
 * @returns the label, host and port to serve, or undefined
 */
export function defaultAddress(
  label: string,
  url: string,
): DefaultAddress | undefined {
  const { protocol, hostname, port, pathname } = new URL(url);
  if (!Object.hasOwn(LABELS, label) || protocol !== "http:") return undefined;
  if (pathname !== "/flags") return undefined;
  const loopback = hostname === "localhost" || hostname === "[::1]" ||
    /^127(\.\d{1,3}){3}$/.test(hostname);
  if (!loopback) return undefined;
  return {
    label: label as Label,
    hostname: hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(port || 80),
  };
}

/**
 * Serves `label` at `url` in this process when nothing accepts connections
 * there, and says so in one line on standard error; does nothing for a
 * label not to serve (see `defaultAddress`), or when a server is there.
 * The server stops when the script exits. A missing permission is one line
 * and exit 1.
 *
 * @example LOCAL moved to a free port, as `FLAGS2_LOCAL_URL` would
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDefaultServer } from "./default_server.ts";
 *
 * const free = Deno.listen({ hostname: "localhost", port: 0 });
 * const url = `http://localhost:${free.addr.port}/flags`;
 * free.close();
 * await using server = await startDefaultServer("LOCAL", url);
 * assert.equal(server?.url, url);
 * const response = await fetch(`${url}/br/br.gif`);
 * assert.equal(response.status, 200);
 * await response.body?.cancel();
 * ```
 *
 * @param label the label `-s` named, upper-cased, or CUSTOM
 * @param url its base URL
 * @returns the server, or undefined when this script serves nothing
 * @throws {Error} when the server cannot start for another reason than a
 *   port taken (flags.zip missing...)
 */
export async function startDefaultServer(
  label: string,
  url: string,
): Promise<DefaultServer | undefined> {
  const address = defaultAddress(label, url);
  if (!address) return undefined;
  exitOnMissingPermission({ name: "net", host: new URL(url).host });
  if (await accepting(address)) return undefined;
  exitOnMissingPermission(LOAD_CODE, READ_DATA); // the Worker, flags.zip
  const server = await serve(address, url);
  if (server) {
    console.error(
      `*** Serving ${label} at ${url} from flags.zip while this script ` +
        `runs; "deno task serve" keeps the test servers running between runs.`,
    );
  }
  return server;
}

/**
 * Whether something accepts connections at `address`: asked with a
 * connection, not a listener, which would take a share of the connections
 * of a server with `reusePort` and drop them.
 */
async function accepting({ hostname, port }: DefaultAddress): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return false;
    throw error;
  }
}

/**
 * Starts the server of `address` in a Worker, with `reusePort`.
 *
 * @returns the server, or undefined when a server that does not share its
 *   port holds it
 * @throws {Error} when it cannot start for another reason
 */
async function serve(
  address: DefaultAddress,
  url: string,
): Promise<DefaultServer | undefined> {
  const { Worker } = await import("node:worker_threads");
  const worker = new Worker(new URL(import.meta.url));
  const done = new Int32Array(new SharedArrayBuffer(4));
  const started = new Promise<Started>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  worker.postMessage({ ...address, done });
  const outcome = await started;
  if ("error" in outcome) {
    await worker.terminate();
    if (outcome.addrInUse) return undefined;
    throw new Error(
      `cannot serve ${address.label} at ${url}: ${outcome.error}`,
    );
  }
  worker.unref();
  // A Worker that died has nothing to wait for.
  worker.once("exit", () => Atomics.store(done, 0, 1));
  const stopNow = () => {
    worker.postMessage({ linger: Deno.exitCode !== 130 });
    Atomics.wait(done, 0, 0, STOP_WAIT_MS);
  };
  globalThis.addEventListener("unload", stopNow);
  const shutdown = async () => {
    globalThis.removeEventListener("unload", stopNow);
    worker.ref(); // the answer is awaited
    const stopped = new Promise((resolve) => worker.once("message", resolve));
    worker.postMessage({ linger: false });
    await stopped;
    await worker.terminate();
  };
  return { url, shutdown, [Symbol.asyncDispose]: shutdown };
}

/**
 * The Worker's body: serves the label posted first, posts the port (or the
 * error); on the next message, lingers if asked (see `IDLE_MS`), shuts the
 * server down, wakes the main thread and posts "stopped".
 */
async function serveInWorker(): Promise<void> {
  const { parentPort } = await import("node:worker_threads");
  if (!parentPort) return; // run as a script: nothing to serve for
  const [{ label, hostname, port, done }] = await new Promise<
    [DefaultAddress & { done: Int32Array }]
  >((resolve) => parentPort.once("message", (data) => resolve([data])));
  const { PRESETS, startServer } = await import("../slow_server.ts");
  let server;
  try {
    server = await startServer({
      ...PRESETS[label],
      hostname,
      port,
      quiet: true,
      reusePort: true,
    });
  } catch (error) {
    const addrInUse = error instanceof Deno.errors.AddrInUse;
    parentPort.postMessage({ error: String(error), addrInUse });
    return;
  }
  parentPort.once("message", async ({ linger }) => {
    if (linger) {
      const most = setTimeout(() => server.shutdown(), LINGER_MS);
      await server.idle(IDLE_MS);
      clearTimeout(most);
    }
    await server.shutdown();
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
    parentPort.postMessage("stopped");
  });
  parentPort.postMessage({ port: server.port });
}

if (import.meta.main) void serveInWorker();
