/**
 * The command line of the CPU-bound scripts (`crypto/sha_futures.ts`,
 * `crypto/arcfour_futures.ts`, `primes/proc_pool.ts`), the executor it
 * chooses, the random bytes the crypto jobs work on, and their last line.
 * The book's scripts take one optional argument, the number of workers;
 * here `--threads` runs the same jobs on Workers instead of processes,
 * `--plain` one after the other on the main thread, the baseline both
 * pools are measured against, and `--scale N` makes each job N times
 * bigger, as Deno runs the book's jobs much faster than CPython.
 *
 * Workers load the scripts, and so this module: argparse is imported
 * only when a command line is parsed (by `lib/cli.ts`).
 *
 * @module
 */
import {
  Executor,
  Future,
  type PoolOptions as FuturesPoolOptions,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
} from "../futures.ts";
import { argumentParser, int, positiveInt } from "./cli.ts";
import { exitOnMissingPermission, LOAD_CODE } from "./permissions.ts";

/** Where the jobs run: `deno` subprocesses, Workers, or the main thread alone. */
export type PoolKind = "process" | "thread" | "main";

/** What the command line asks for. */
export interface PoolOptions {
  /** Where the jobs run. */
  pool: PoolKind;
  /** The most workers the pool may start (the CPUs by default); 0 for the main thread. */
  workers: number;
  /** How many times the book's size each job is: 1 by default. */
  scale: number;
}

/** An executor that says how many workers it may start. */
export type CountingExecutor = Executor & { readonly maxWorkers: number };

/**
 * Runs each call on the main thread as it is submitted, so that the
 * scripts' `main` can time their jobs in a plain loop, without a pool.
 */
export class MainThreadExecutor extends Executor {
  /** None: every call runs on the main thread. */
  readonly maxWorkers = 0;

  /**
   * Runs `fn(...args)` now, on this thread.
   *
   * @param fn the function to call.
   * @param args its arguments.
   * @returns a future that settles with what the call returned or threw.
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    return new Future(Promise.try(fn, ...args));
  }

  /** Nothing to stop. */
  async shutdown(): Promise<void> {}
}

/** What differs between the command lines of the CPU scripts. */
export interface CommandLine {
  /** What the script does, for `-h`. */
  description: string;
  /** Whether it takes `--scale N`: jobs of random bytes do, the book's fixed numbers not. */
  scale: boolean;
}

const CRYPTO: CommandLine = {
  description: "Run 12 CPU-bound jobs on a pool of processes, and time them.",
  scale: true,
};

/** The permissions each pool needs to start its workers. */
function poolNeeds(pool: PoolKind): Deno.PermissionDescriptor[] {
  switch (pool) {
    case "process": // node's spawn reads the whole environment
      return [LOAD_CODE, { name: "env" }, {
        name: "run",
        command: Deno.execPath(),
      }];
    case "thread":
      return [LOAD_CODE];
    case "main":
      return [];
  }
}

/**
 * Reads the command line of a CPU script; `-h` prints the help and exits
 * 0, a bad command line prints a usage error and exits 2, a permission
 * that the pool needs and lacks one line and exit 1.
 *
 * @param argv the arguments, without the script's name.
 * @param commandLine what the script's help says, and whether it takes
 * `--scale`: by default those of the crypto scripts.
 * @returns the pool to run the jobs on, and its size.
 */
export async function parseArgs(
  argv: string[],
  commandLine: CommandLine = CRYPTO,
): Promise<PoolOptions> {
  const parser = await argumentParser({
    description: commandLine.description,
  });
  parser.add_argument("workers", {
    metavar: "WORKERS",
    nargs: "?",
    type: positiveInt,
    help: "the most workers to start (default: the CPUs)",
  });
  const where = parser.add_mutually_exclusive_group();
  where.add_argument("--threads", {
    action: "store_true",
    help: "run the jobs on Workers instead of processes",
  });
  where.add_argument("--plain", {
    action: "store_true",
    help: "run the jobs one by one on the main thread",
  });
  if (commandLine.scale) {
    parser.add_argument("--scale", {
      metavar: "N",
      type: int,
      default: 1,
      help: "make each job N times the book's size",
    });
  }
  const { workers, threads, plain, scale = 1 } = parser.parse_args(argv);
  if (scale < 1) parser.usageError("--scale N must be >= 1");
  if (plain && workers !== undefined) {
    parser.usageError("--plain runs on the main thread: no WORKERS");
  }
  const pool = plain ? "main" : threads ? "thread" : "process";
  exitOnMissingPermission(...poolNeeds(pool));
  return {
    pool,
    workers: plain ? 0 : workers ?? navigator.hardwareConcurrency,
    scale,
  };
}

/**
 * The executor that `options` asks for.
 *
 * @param options the pool and its size.
 * @param module the URL of the module that exports the jobs.
 * @param poolOptions what a pool takes besides, e.g. `errorClasses`.
 * @returns a new executor; `await using` it.
 */
export function newExecutor(
  { pool, workers }: PoolOptions,
  module: string | URL,
  poolOptions?: FuturesPoolOptions,
): CountingExecutor {
  switch (pool) {
    case "process":
      return new ProcessPoolExecutor(workers, module, poolOptions);
    case "thread":
      return new ThreadPoolExecutor(workers, module, poolOptions);
    case "main":
      return new MainThreadExecutor();
  }
}

/**
 * `size` random bytes, one `Math.random()` each, as the book's
 * `bytearray(randrange(256) for i in range(size))`. A loop, not
 * `Uint8Array.from` with a callback: that was 8 times slower, and its speed
 * varied by half from one process to the next.
 *
 * @param size how many bytes.
 * @returns the bytes.
 */
export function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  // storing 0 <= x < 256 in a Uint8Array truncates it to a byte
  for (let i = 0; i < size; i++) bytes[i] = Math.random() * 256;
  return bytes;
}

/**
 * The scripts' last line, as the book's `STATUS`: `2 workers, elapsed time: 1.23s`.
 *
 * @param workers how many workers ran the jobs.
 * @param t0 when the run started, from `performance.now()`.
 * @returns the line.
 */
export function status(workers: number, t0: number): string {
  const seconds = (performance.now() - t0) / 1000;
  return `${workers} workers, elapsed time: ${seconds.toFixed(2)}s`;
}
