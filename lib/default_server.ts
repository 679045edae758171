/**
 * The embedded default server: a script given LOCAL, DELAY or ERROR whose
 * port nothing serves serves that label itself, from flags.zip, for as long
 * as it runs, so that one command downloads flags on a fresh clone.
 * `deno task serve` keeps the servers running between runs.
 *
 * Scripts run side by side share a label's port without losing a request.
 * One listens; another that finds a server there asks it for a lease: a
 * request (`LEASE_HEADER`) whose response stays open while the asker runs,
 * on a connection that never keeps the asker alive. At its end, the server's
 * script answers on while any lease is open, then until no request has come
 * for a moment (for clients that hold none, such as the book's scripts),
 * then closes; from then on it refuses leases, and an asker refused serves
 * the port itself as soon as it is free. So every request of a script that
 * holds a lease meets an open server. A server that grants no lease
 * (`deno task serve`, the book's `python3 -m http.server`) is used as it is.
 * When a lease ends early (its server's script was stopped with Ctrl-C), its
 * holder serves the port itself from then on.
 *
 * The server runs on the main thread, beside the script's own requests: it
 * needs no Worker and no unstable API.
 *
 * @module
 */
import type { FlagServer, PRESETS } from "../slow_server.ts";
import { TIMEOUT } from "./http.ts";
import { exitOnMissingPermission, READ_DATA } from "./permissions.ts";

/** A label of `deno task serve`'s: LOCAL, DELAY or ERROR. */
export type Label = keyof typeof PRESETS;

// slow_server.ts's PRESETS, checked by type: the Workers of the pools load
// this module, and slow_server.ts would cost each of them its imports.
const LABELS: Record<Label, true> = { LOCAL: true, DELAY: true, ERROR: true };

/**
 * The header of a lease request: a GET that carries it asks a flag server
 * to stay up while the response is open. An embedded server answers it at
 * once, neither delayed nor failed, and never logs it: 200 with this header
 * `granted` and a body that sends nothing and stays open until the client
 * goes or the server shuts down; 503 with `closing` once it shuts down.
 * `deno task serve` answers 404 at once, without the header.
 */
export const LEASE_HEADER = "Flags2-Lease";

/**
 * At its end, the server answers until no lease is open and no request
 * has come for `IDLE_MS`: another script may be downloading from it, on
 * connections it keeps open; closing them under its next request would fail
 * that request. Not after Ctrl-C.
 */
const IDLE_MS = 50;
/** How long to wait before asking again, when the port is closing. */
const RETRY_MS = 10;
/**
 * How long a port may stay taken by something that neither grants a lease
 * nor lets go; then it is used as it is. A server of ours lets go at once.
 */
const GIVE_UP_MS = 10_000;
/** The most bytes of a response's head that a lease request reads. */
const HEAD_MAX = 8192;

/** Where a script serves a label itself. */
export interface DefaultAddress {
  /** The label: LOCAL, DELAY or ERROR. */
  label: Label;
  /** A loopback address: `localhost`, `127.x.x.x` or `::1`. */
  hostname: string;
  /** The label's port. */
  port: number;
}

/** The embedded server of a label: served by this script, or leased. */
export interface DefaultServer extends AsyncDisposable {
  /** The label's base URL. */
  readonly url: string;
  /**
   * Ends this script's part: a server it serves answers on while another
   * script holds a lease on it, then until no request has come for a
   * moment, then stops listening; a lease it holds is given back.
   * `[Symbol.asyncDispose]` is `close()`.
   *
   * @param signal stops the wait at once, as Ctrl-C does
   * @returns a promise that resolves when the server is closed
   */
  close(signal?: AbortSignal): Promise<void>;
}

/**
 * How this script stands to its label's port: it serves it, it holds a
 * lease on another script's server, or (undefined) it uses a server that
 * grants no lease.
 */
type Role = { server: FlagServer } | { lease: Deno.Conn } | undefined;

/** What a lease request got: a lease, no lease (a server not ours), a refusal (closing), or no server at all. */
type Answer = { lease: Deno.Conn } | "no lease" | "closing" | "nobody";

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
 * Serves `label` at `url` in this process when nothing serves it, and says
 * so in one line on standard error; holds a lease on the server there when
 * it is another script's; does nothing for a label not to serve (see
 * `defaultAddress`), or beside a server that grants no lease. A missing
 * permission is one line and exit 1. Call `close()` at the script's end,
 * before `Deno.exit`.
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
 * @returns the server, served or leased; undefined when this script has
 *   no part in it
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
  const role = await takeRole(address, url);
  return role && new EmbeddedServer(address, url, role);
}

/** A label's port as this script stands to it: see `Role`. */
class EmbeddedServer implements DefaultServer {
  #role: Promise<Role>;
  #closing = false;

  constructor(
    readonly address: DefaultAddress,
    readonly url: string,
    role: Role,
  ) {
    this.#role = Promise.resolve(this.#hold(role));
  }

  /** Watches a lease: when it ends before `close`, takes a role again. */
  #hold(role: Role): Role {
    if (!role || !("lease" in role)) return role;
    const { lease } = role;
    lease.unref(); // a lease never keeps the script alive
    // Nothing comes on a lease until it ends.
    lease.read(new Uint8Array(1)).catch(() => null).then(() => {
      if (this.#closing) return;
      lease.close();
      this.#role = takeRole(this.address, this.url)
        .catch((error) => {
          console.error(`*** ${error.message}`); // its downloads will say more
          return undefined;
        })
        .then((role) => this.#hold(role));
    });
    return role;
  }

  async close(signal?: AbortSignal): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const role = await this.#role;
    if (role && "lease" in role) role.lease.close();
    if (!role || !("server" in role)) return;
    const { server } = role;
    if (server.leases() > 0 && !signal?.aborted) {
      console.error(
        `*** Still serving ${this.address.label} at ${this.url}: another ` +
          `script downloads from it.`,
      );
    }
    await server.idle(IDLE_MS, signal);
    // No await between idle and shutdown: no lease is granted in between.
    await server.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Serves the port, or takes a lease on the server there, or finds one
 * that grants none: asks for a lease, listens when nothing answers, and
 * asks again while the server there is closing, until it lets go.
 */
async function takeRole(address: DefaultAddress, url: string): Promise<Role> {
  const giveUp = performance.now() + GIVE_UP_MS;
  while (performance.now() < giveUp) {
    const answer = await askLease(address, url);
    if (typeof answer === "object") return answer;
    if (answer === "no lease") return undefined;
    if (answer === "nobody") {
      const server = await listen(address, url);
      if (server) return { server };
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  return undefined;
}

/**
 * Asks the server at `address` for a lease.
 *
 * @returns the lease, on an open connection; "no lease" from a server that
 *   grants none, or that does not answer within a download's timeout (its
 *   downloads would fail the same); "closing" from one that refuses or drops
 *   the request; "nobody" when nothing listens
 */
async function askLease(
  { hostname, port }: DefaultAddress,
  url: string,
): Promise<Answer> {
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname, port });
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return "nobody";
    throw error;
  }
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    conn.close();
  }, TIMEOUT * 1000);
  let head;
  try {
    const { host, pathname } = new URL(url);
    await conn.write(new TextEncoder().encode(
      `GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\n${LEASE_HEADER}: 1\r\n` +
        "Connection: close\r\n\r\n",
    ));
    head = await readHead(conn);
  } catch {
    // Dropped (reset, broken pipe), or closed by the timer.
  } finally {
    clearTimeout(timer);
  }
  if (late) return "no lease";
  const lease = head && leaseOf(head);
  if (lease === "granted") return { lease: conn };
  conn.close();
  if (head === undefined || lease === "closing") return "closing";
  return "no lease";
}

/**
 * The head of the response on `conn`, and any bytes after it; undefined
 * when the connection ends first.
 */
async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const buffer = new Uint8Array(HEAD_MAX);
  let length = 0;
  while (length < HEAD_MAX) {
    const read = await conn.read(buffer.subarray(length));
    if (read === null) return undefined;
    length += read;
    const text = new TextDecoder().decode(buffer.subarray(0, length));
    if (text.includes("\r\n\r\n")) return text;
  }
  return new TextDecoder().decode(buffer); // too long to be ours
}

/**
 * The value of `LEASE_HEADER` in a response's `head` ("granted",
 * "closing"), or undefined without one; a lease whose end came with its
 * head is "closing".
 */
function leaseOf(head: string): string | undefined {
  const [fields, body = ""] = head.split("\r\n\r\n", 2);
  const pattern = new RegExp(`^${LEASE_HEADER}:[ \\t]*(\\w+)`, "im");
  const lease = pattern.exec(fields)?.[1];
  return lease === "granted" && body ? "closing" : lease;
}

/**
 * Serves `address`, and says so in one line on standard error.
 *
 * @returns the server, or undefined when another holds the port
 * @throws {Error} when it cannot start for another reason
 */
async function listen(
  address: DefaultAddress,
  url: string,
): Promise<FlagServer | undefined> {
  exitOnMissingPermission(READ_DATA); // flags.zip
  const { PRESETS, startServer } = await import("../slow_server.ts");
  const { label, hostname, port } = address;
  let server;
  try {
    server = await startServer({
      ...PRESETS[label],
      hostname,
      port,
      quiet: true,
      leases: true,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return undefined;
    throw new Error(
      `Cannot serve ${label} at ${url}: ${(error as Error).message}`,
    );
  }
  console.error(
    `*** Serving ${label} at ${url} from flags.zip while this script ` +
      `runs; "deno task serve" keeps the test servers running between runs.`,
  );
  return server;
}
