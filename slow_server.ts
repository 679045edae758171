/**
 * The LOCAL, DELAY and ERROR test servers of the flag downloads, standing in
 * for the book's nginx + Vaurien (first edition) and `slow_server.py`
 * (second edition).
 *
 * Every flag comes from `flags.zip`, unzipped once into memory: nothing is
 * unpacked to disk, and no request path is ever used to open a file.
 *
 * ```sh
 * deno task serve                          # LOCAL :8001, DELAY :8002, ERROR :8003
 * deno task serve --edition 2              # LOCAL :8000, DELAY :8001, ERROR :8002
 * deno task serve --vaurien                # ERROR answers 500-504, not 418
 * deno task serve -p 8004 -d 0.5-5 -e 0.25 --seed 42
 * ```
 *
 * @module
 */

import { unzipSync } from "npm:fflate@0.8.3";
import { argumentParser, int, UsageError } from "./lib/cli.ts";
import { LEASE_HEADER } from "./lib/default_server.ts";
import { fetchData } from "./lib/http.ts";
import { exitOnMissingPermission } from "./lib/permissions.ts";

/** Options of one flag server; every field is optional. */
export interface ServerOptions {
  /** Port to listen on, default 8001; 0 picks a free port. */
  port?: number;
  /** Bind address, default "localhost". */
  hostname?: string;
  /** Seconds before each response: fixed, or a [min, max] range drawn per request; default 0. */
  delay?: number | [number, number];
  /** Fraction of the responses that get the delay, default 1. */
  delayRate?: number;
  /** Fraction of the requests answered with an error, default 0. */
  errorRate?: number;
  /** The statuses an error is drawn from, evenly; default `TEAPOT`. */
  errorStatuses?: readonly number[];
  /** Seeds the random draws, so that a run can be replayed; default Math.random. */
  seed?: number;
  /** No log line per request. */
  quiet?: boolean;
  /**
   * Grants leases, as a script's embedded server does (see `LEASE_HEADER`
   * in `lib/default_server.ts`); default false: a lease request gets 404 at
   * once.
   */
  leases?: boolean;
}

/** The error of the second edition's `slow_server.py`: 418 I'm a Teapot. */
export const TEAPOT: readonly number[] = [418];
/** The errors of the first edition's Vaurien proxy: 500 to 504, at random. */
export const VAURIEN: readonly number[] = [500, 501, 502, 503, 504];

/** The ports of LOCAL, DELAY and ERROR in each edition of the book. */
export const EDITION_PORTS = {
  1: { LOCAL: 8001, DELAY: 8002, ERROR: 8003 },
  2: { LOCAL: 8000, DELAY: 8001, ERROR: 8002 },
} as const;

/**
 * The book's three servers, as options of `startServer`: LOCAL answers at
 * once; DELAY holds every response 0.5 s; ERROR answers a quarter of the
 * requests 418 I'm a Teapot and holds half of the responses 0.5 s.
 */
export const PRESETS = {
  LOCAL: {},
  DELAY: { delay: 0.5 },
  ERROR: { delay: 0.5, delayRate: 0.5, errorRate: 0.25 },
} as const satisfies Record<string, ServerOptions>;

/** A running flag server; `await using` shuts it down. */
export interface FlagServer extends AsyncDisposable {
  /** Base URL of the flags, e.g. "http://127.0.0.1:40123/flags". */
  readonly url: string;
  /** The port actually listened on. */
  readonly port: number;
  /**
   * The most requests held at once since the start.
   *
   * @returns a count of requests
   */
  peak(): number;
  /**
   * The leases open now.
   *
   * @returns a count of leases
   */
  leases(): number;
  /**
   * Waits until no request has been under way, nor lease open, for `ms`
   * milliseconds, or until `signal` aborts.
   *
   * @param ms how long the server must have been idle
   * @param signal ends the wait early
   * @returns a promise that resolves then
   */
  idle(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Stops listening and cuts the delays short.
   *
   * @returns a promise that resolves when the server is closed
   */
  shutdown(): Promise<void>;
}

/** The settled options of a server: defaults filled in, delay as a range. */
interface Settings {
  port: number;
  hostname: string;
  delay: [number, number];
  delayRate: number;
  errorRate: number;
  errorStatuses: readonly number[];
  random: () => number;
  quiet: boolean;
  leases: boolean;
}

/** What a request will get, drawn when it arrives: an error status, or none. */
interface Fate {
  error?: number;
  delay: number;
}

// The only paths ever served: a two-letter code and one of its two files.
const FLAG_PATH = /^\/flags\/([a-z]{2})\/(?:\1\.gif|metadata\.json)$/;
const CONTENT_TYPES: Record<string, string> = {
  gif: "image/gif",
  json: "application/json",
};
const ALLOWED_METHODS = "GET, HEAD";
// How often `idle` looks again.
const IDLE_POLL_MS = 10;

/** A flag file by URL path ("/flags/br/br.gif"), or undefined. */
type FlagFiles = (path: string) => Uint8Array<ArrayBuffer> | undefined;

let flagFiles: Promise<FlagFiles> | undefined;

/**
 * The flag files of a zip, by URL path: each is inflated on its first
 * request, so that a server listens without unzipping all 388 files first.
 */
function indexFlags(zip: Uint8Array): FlagFiles {
  const names = new Set<string>();
  unzipSync(zip, {
    filter: (file) => {
      names.add(file.name);
      return false; // the names only: nothing is inflated yet
    },
  });
  const inflated = new Map<string, Uint8Array<ArrayBuffer>>();
  return (path) => {
    const name = path.slice(1);
    if (!FLAG_PATH.test(path) || !names.has(name)) return undefined;
    if (!inflated.has(name)) {
      const entry = unzipSync(zip, { filter: (file) => file.name === name });
      // fflate allocates plain ArrayBuffers: the cast only narrows the type.
      inflated.set(name, entry[name] as Uint8Array<ArrayBuffer>);
    }
    return inflated.get(name);
  };
}

/** The flag files of flags.zip, read and indexed once per process. */
function loadFlagFiles(): Promise<FlagFiles> {
  flagFiles ??= fetchData(new URL("./flags.zip", import.meta.url))
    .then(indexFlags);
  return flagFiles;
}

/** mulberry32: a tiny seeded generator of floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throws a RangeError unless `value` is a number from 0 to 1. */
function checkRate(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be from 0 to 1, got ${value}`);
  }
  return value;
}

/** Throws a RangeError unless `statuses` are some HTTP error statuses. */
function checkStatuses(statuses: readonly number[]): readonly number[] {
  if (
    !statuses.length ||
    !statuses.every((s) => Number.isInteger(s) && s >= 400 && s <= 599)
  ) {
    throw new RangeError(
      `errorStatuses must be statuses from 400 to 599, got [${statuses}]`,
    );
  }
  return statuses;
}

/** Fills in the defaults and rejects impossible values. */
function settle(options: ServerOptions): Settings {
  const { port = 8001, delay = 0, seed } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `port must be an integer from 0 to 65535, got ${port}`,
    );
  }
  const [min, max] = typeof delay === "number" ? [delay, delay] : delay;
  if (!(min >= 0 && max >= min && Number.isFinite(max))) {
    throw new RangeError("delay must be >= 0, or a range [min, max]");
  }
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${seed}`);
  }
  return {
    port,
    hostname: options.hostname ?? "localhost",
    delay: [min, max],
    delayRate: checkRate("delayRate", options.delayRate ?? 1),
    errorRate: checkRate("errorRate", options.errorRate ?? 0),
    errorStatuses: checkStatuses(options.errorStatuses ?? TEAPOT),
    random: seed === undefined ? Math.random : mulberry32(seed),
    quiet: options.quiet ?? false,
    leases: options.leases ?? false,
  };
}

/** Draws error, then delay, always three numbers, so a seed replays a run. */
function drawFate(settings: Settings): Fate {
  const { random, delay: [min, max], errorRate, errorStatuses } = settings;
  const draw = random();
  // Below the rate, the draw is even over [0, errorRate): it picks the status.
  const error = draw < errorRate
    ? errorStatuses[Math.floor(draw / errorRate * errorStatuses.length)]
    : undefined;
  const delayed = random() < settings.delayRate;
  const seconds = min + random() * (max - min);
  return { error, delay: delayed ? seconds : 0 };
}

/** Waits, but gives up at once when the server shuts down. */
function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  if (seconds <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, seconds * 1000);
    signal.addEventListener("abort", done);
  });
}

/** The request target exactly as sent, without the query. */
function rawPath(url: string): string {
  // Deno keeps `req.url` as sent; `new URL()` would resolve `..` and `\`.
  const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  return path.split(/[?#]/, 1)[0];
}

/** A short plain-text response. */
function textResponse(
  status: number,
  text: string,
  headers: HeadersInit = {},
): Response {
  return new Response(text + "\n", { status, headers });
}

/** An error status with its reason as the text; node:http loads at the first. */
async function errorResponse(status: number): Promise<Response> {
  const { STATUS_CODES } = await import("node:http");
  return textResponse(status, STATUS_CODES[status] ?? "Error");
}

/** The response of a request that was not chosen to fail. */
function answer(req: Request, files: FlagFiles): Response {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return textResponse(405, "Method Not Allowed", {
      Allow: ALLOWED_METHODS,
    });
  }
  // `files` serves only paths that match FLAG_PATH.
  const path = rawPath(req.url);
  const data = files(path);
  if (data === undefined) return textResponse(404, "Not Found");
  const type = CONTENT_TYPES[path.split(".").pop()!];
  // For HEAD, Deno drops the body but keeps its Content-Length.
  return new Response(data, { headers: { "Content-Type": type } });
}

/** One log line: client, method, path, status, time taken. */
function logLine(
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  req: Request,
  status: number,
  started: number,
): string {
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  return `${info.remoteAddr.hostname} ${req.method} ${
    rawPath(req.url)
  } ${status} ${seconds}s`;
}

/** Host part of a URL: IPv6 addresses go in brackets. */
function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Starts a flag server; resolves once it is listening. Each request draws
 * its fate when it arrives: an error (418 I'm a Teapot, or one of
 * `errorStatuses`) with `errorRate`, then a delay with `delayRate`.
 *
 * @example A DELAY server on a free port, for a test or a bench
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS, startServer } from "./slow_server.ts";
 *
 * await using server = await startServer({ ...PRESETS.DELAY, port: 0, quiet: true });
 * const response = await fetch(`${server.url}/br/br.gif`); // 0.5 s later
 * assert.equal(response.status, 200);
 * assert.equal(response.headers.get("content-type"), "image/gif");
 * await response.body?.cancel();
 * assert.equal(server.peak(), 1); // one request at a time at most
 * ```
 *
 * @param options port, bind address, delay, rates, seed, quiet; each has a
 *   default (LOCAL on localhost:8001)
 * @returns the running server; `await using` or `shutdown()` stops it
 * @throws {RangeError} when an option is out of range (a port above
 *   65535, a rate above 1, a delay range upside down, a seed not an integer,
 *   an error status outside 400-599)
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export async function startServer(
  options: ServerOptions = {},
): Promise<FlagServer> {
  const settings = settle(options);
  const files = await loadFlagFiles();
  const controller = new AbortController();
  let inFlight = 0;
  let peak = 0;
  let lastActive = performance.now();
  const leases = leaseDesk(settings.leases, controller.signal, () => {
    lastActive = performance.now();
  });

  const handler = async (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Promise<Response> => {
    if (req.method === "GET" && req.headers.has(LEASE_HEADER)) {
      return leases.answer();
    }
    const started = lastActive = performance.now();
    peak = Math.max(peak, ++inFlight);
    try {
      const fate = drawFate(settings);
      await sleep(fate.delay, controller.signal);
      const response = fate.error
        ? await errorResponse(fate.error)
        : answer(req, files);
      if (!settings.quiet) {
        console.log(logLine(info, req, response.status, started));
      }
      return response;
    } finally {
      inFlight--;
      lastActive = performance.now();
    }
  };

  const server = Deno.serve({
    port: settings.port,
    hostname: settings.hostname,
    signal: controller.signal,
    onListen: () => {},
  }, handler);
  const port = server.addr.port;
  const shutdown = async () => {
    controller.abort();
    await server.finished;
  };
  const idle = async (ms: number, signal?: AbortSignal) => {
    const busy = () =>
      inFlight > 0 || leases.open() > 0 || performance.now() - lastActive < ms;
    const stop = signal
      ? AbortSignal.any([controller.signal, signal])
      : controller.signal;
    while (busy() && !stop.aborted) await sleep(IDLE_POLL_MS / 1000, stop);
  };
  return {
    url: `http://${urlHost(settings.hostname)}:${port}/flags`,
    port,
    peak: () => peak,
    leases: leases.open,
    idle,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/**
 * The leases of a server (see `LEASE_HEADER`): `answer` answers a lease
 * request, `open` counts the leases open. Each ends when its client goes
 * (`ended` is called) or when `closing` aborts, which ends them all.
 */
function leaseDesk(
  enabled: boolean,
  closing: AbortSignal,
  ended: () => void,
): { answer(): Response; open(): number } {
  const open = new Set<ReadableStreamDefaultController>();
  closing.addEventListener("abort", () => {
    for (const body of open) body.close();
    open.clear();
  });
  const answer = () => {
    if (!enabled) return textResponse(404, "Not Found");
    if (closing.aborted) {
      const headers = { [LEASE_HEADER]: "closing" };
      return textResponse(503, "Service Unavailable", headers);
    }
    let held: ReadableStreamDefaultController;
    const body = new ReadableStream({
      start(controller) {
        held = controller;
        open.add(held);
      },
      cancel() {
        open.delete(held);
        ended();
      },
    });
    return new Response(body, { headers: { [LEASE_HEADER]: "granted" } });
  };
  return { answer, open: () => open.size };
}

// ---------------------------------------------------------------- command line

/** An edition of the book: 1 or 2. */
export type Edition = keyof typeof EDITION_PORTS;

/**
 * The book's three servers on the ports of `edition`, started when no
 * option asks for one server.
 *
 * @param edition 1 (8001-8003) or 2 (8000-8002)
 * @returns the labels, LOCAL, DELAY and ERROR, with their options
 */
export function bookServers(edition: Edition): [string, ServerOptions][] {
  return Object.entries(EDITION_PORTS[edition]).map(([label, port]) => [
    label,
    { port, ...PRESETS[label as keyof typeof PRESETS] },
  ]);
}

/** The options of the command line, as argparse parses them. */
interface CliOptions {
  port?: number;
  bind: string;
  delay?: number | [number, number];
  delay_rate?: number;
  error_rate?: number;
  seed?: number;
  edition: `${Edition}`;
  vaurien: boolean;
  quiet: boolean;
}

/** Parses `-p N`. */
function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new UsageError("--port N must be an integer from 0 to 65535");
  }
  return port;
}

/** Parses `-d 0.5` or `-d 0.5-5`. */
function parseDelay(text: string): number | [number, number] {
  const match = /^(\d*\.?\d+)(?:-(\d*\.?\d+))?$/.exec(text);
  const [min, max] = [Number(match?.[1]), Number(match?.[2] ?? match?.[1])];
  if (!match || !(min <= max)) {
    throw new UsageError(
      "--delay SECONDS must be like 0.5, or a range MIN-MAX like 0.5-5",
    );
  }
  return match[2] === undefined ? min : [min, max];
}

/** Parses a fraction from 0 to 1 for the option `name`. */
function rateParser(name: string): (text: string) => number {
  return (text) => {
    const rate = Number(text);
    if (text.trim() === "" || !(rate >= 0 && rate <= 1)) {
      throw new UsageError(`${name} F must be a number from 0 to 1`);
    }
    return rate;
  };
}

/**
 * Parses the arguments; exits 0 after --help, 2 on a usage error.
 *
 * @param argv the arguments after the script's name
 * @returns the options
 */
async function parseArgs(argv: string[]): Promise<CliOptions> {
  const parser = await argumentParser({
    description:
      "Serve flags.zip as the book's test servers: LOCAL on 8001, DELAY on " +
      "8002 (every response 0.5 s late) and ERROR on 8003 (a quarter of the " +
      "requests answered 418, half of the responses 0.5 s late); or as one " +
      "server when -p, -d, --delay-rate or -e is given.",
  });
  parser.add_argument("-p", "--port", {
    metavar: "N",
    type: parsePort,
    help: "one server on port N (0: a free port)",
  });
  parser.add_argument("-b", "--bind", {
    metavar: "ADDRESS",
    default: "localhost",
    help: "bind address (default: %(default)s)",
  });
  parser.add_argument("-d", "--delay", {
    metavar: "SECONDS",
    type: parseDelay,
    help: "delay before each response: 0.5, or a range 0.5-5",
  });
  parser.add_argument("--delay-rate", {
    metavar: "F",
    type: rateParser("--delay-rate"),
    help: "fraction of the responses delayed (default: 1)",
  });
  parser.add_argument("-e", "--error-rate", {
    metavar: "F",
    type: rateParser("--error-rate"),
    help: "fraction of the requests answered with an error, 418 I'm a " +
      "Teapot (default: 0)",
  });
  parser.add_argument("--seed", {
    metavar: "N",
    type: int,
    help: "seed of the random delays and errors",
  });
  parser.add_argument("--edition", {
    choices: ["1", "2"],
    default: "1",
    help: "the ports of the book's first edition (8001-8003) or second " +
      "(8000-8002) (default: %(default)s)",
  });
  parser.add_argument("--vaurien", {
    action: "store_true",
    help: "errors as the first edition's Vaurien proxy: 500 to 504, not 418",
  });
  parser.add_argument("-q", "--quiet", {
    action: "store_true",
    help: "no log line per request",
  });
  return parser.parse_args<CliOptions>(argv);
}

/** The labelled servers the command line asks for. */
function plan(options: CliOptions): [string, ServerOptions][] {
  const common = {
    hostname: options.bind,
    seed: options.seed,
    quiet: options.quiet,
    errorStatuses: options.vaurien ? VAURIEN : TEAPOT,
  };
  const { port, delay } = options;
  const [delayRate, errorRate] = [options.delay_rate, options.error_rate];
  const single = [port, delay, delayRate, errorRate].some((value) =>
    value !== undefined
  );
  if (!single) {
    const servers = bookServers(Number(options.edition) as Edition);
    return servers.map(([label, preset]) => [label, { ...preset, ...common }]);
  }
  return [["CUSTOM", { port, delay, delayRate, errorRate, ...common }]];
}

/**
 * Starts every planned server, or none: a failure stops those started.
 *
 * @throws {Deno.errors.AddrInUse} naming the port taken, which is most
 * likely the test servers' own, already running
 */
async function startAll(
  planned: [string, ServerOptions][],
): Promise<[string, FlagServer][]> {
  const started: [string, FlagServer][] = [];
  for (const [label, options] of planned) {
    try {
      started.push([label, await startServer(options)]);
    } catch (error) {
      await Promise.all(started.map(([, server]) => server.shutdown()));
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      throw new Deno.errors.AddrInUse(
        `port ${options.port} (${label}) is taken: the test servers may ` +
          `already be running (deno task serve, in another terminal)`,
      );
    }
  }
  return started;
}

/** Runs the servers until Ctrl-C. */
async function main(args: string[]): Promise<void> {
  exitOnMissingPermission();
  const options = await parseArgs(args);
  let servers: [string, FlagServer][];
  try {
    servers = await startAll(plan(options));
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error; // one line too
    console.error(`*** Cannot start: ${(error as Error).message}`);
    Deno.exit(1);
  }
  for (const [label, server] of servers) {
    console.log(`${label.padEnd(6)} ${server.url}`);
  }
  const stop = async () => {
    Deno.removeSignalListener("SIGINT", stop);
    await Promise.all(servers.map(([, server]) => server.shutdown()));
  };
  Deno.addSignalListener("SIGINT", stop);
}

if (import.meta.main) {
  await main(Deno.args);
}
