/**
 * The book's 20 numbers checked for primality on a pool of processes, with
 * `executor.map`: *Fluent Python* 2nd edition's `primes/proc_pool.py`.
 * Prints a line per number in the order of the numbers, which `map` keeps
 * (a quick number waits for the slow ones before it), then the total time.
 *
 * `--threads` runs the same on Web Workers and says `threads`, as the book's
 * script would print with a `ThreadPoolExecutor`; unlike CPython's threads,
 * Deno's Workers do run in parallel. `--plain` checks the numbers one by one
 * on the main thread.
 *
 * Workers and child processes load this module for `check`, so it runs
 * nothing when imported.
 *
 * ```sh
 * deno run -A primes/proc_pool.ts            # a process per CPU
 * deno run -A primes/proc_pool.ts 4          # 4 processes
 * deno run -A primes/proc_pool.ts --threads  # Workers instead of processes
 * ```
 *
 * @module
 */
import { newExecutor, parseArgs, type PoolOptions } from "../lib/cpu_pool.ts";
import { isPrime, NUMBERS } from "./primes.ts";

/** What `check` found, as the book's `PrimeResult`. */
export interface PrimeResult {
  /** The number. */
  n: bigint;
  /** Whether it is prime. */
  prime: boolean;
  /** How long `isPrime` took, in seconds. */
  elapsed: number;
}

/**
 * The job: whether `n` is prime, and how long finding out took.
 *
 * @param n the number.
 * @returns the number, the answer and the time.
 */
export function check(n: bigint): PrimeResult {
  const t0 = performance.now();
  const prime = isPrime(n);
  return { n, prime, elapsed: (performance.now() - t0) / 1000 };
}

/** How the first line names the workers of each pool. */
const WORKERS_OF = {
  process: (maxWorkers: number) => `with ${maxWorkers} processes`,
  thread: (maxWorkers: number) => `with ${maxWorkers} threads`,
  main: () => "on the main thread",
};

/**
 * Checks the numbers, the largest first, where `options` says.
 *
 * @param options the pool and its size, from `parseArgs`.
 */
export async function main(options: PoolOptions): Promise<void> {
  let t0;
  {
    await using executor = newExecutor(options, import.meta.url);
    const actualWorkers = executor.maxWorkers;

    const workers = WORKERS_OF[options.pool](actualWorkers);
    console.log(`Checking ${NUMBERS.length} numbers ${workers}:`);

    t0 = performance.now();

    const numbers = NUMBERS.toSorted((a, b) => a < b ? 1 : a > b ? -1 : 0); // largest first
    for await (const { n, prime, elapsed } of executor.map(check, numbers)) {
      const label = prime ? "P" : " ";
      const seconds = elapsed.toFixed(6).padStart(9);
      console.log(`${String(n).padStart(16)}  ${label} ${seconds}s`);
    }
  }

  const time = (performance.now() - t0) / 1000;
  console.log(`Total time: ${time.toFixed(2)}s`);
}

if (import.meta.main) {
  await main(
    await parseArgs(Deno.args, {
      description: "Check 20 numbers for primality on a pool of processes.",
      scale: false,
    }),
  );
}
