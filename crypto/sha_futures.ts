/**
 * SHA-256 of 1 MiB of random bytes, 12 times, on a pool of processes: the
 * CPU-bound example of *Fluent Python*'s `crypto/sha_futures.py`. Prints
 * each digest as its job completes, then how long the whole run took.
 *
 * Workers and child processes load this module for `sha`, so it runs
 * nothing when imported.
 *
 * ```sh
 * deno run -A crypto/sha_futures.ts            # a process per CPU
 * deno run -A crypto/sha_futures.ts 2          # 2 processes
 * deno run -A crypto/sha_futures.ts --threads  # Workers instead of processes
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { asCompleted } from "../futures.ts";
import {
  newExecutor,
  parseArgs,
  type PoolOptions,
  randomBytes,
  status,
} from "../lib/cpu_pool.ts";

const JOBS = 12;
const SIZE = 2 ** 20;

/**
 * The job: hashes `size` random bytes.
 *
 * @param size how many bytes.
 * @returns their SHA-256, in hex.
 */
export function sha(size: number): string {
  const data = randomBytes(size);
  const algo = createHash("sha256");
  algo.update(data);
  return algo.digest("hex");
}

/**
 * Runs the 12 jobs where `options` says, printing each digest as it comes.
 *
 * @param options the pool, its size and the jobs' scale, from `parseArgs`.
 */
export async function main(options: PoolOptions): Promise<void> {
  const t0 = performance.now();
  let actualWorkers;
  {
    await using executor = newExecutor(options, import.meta.url);
    const size = SIZE * options.scale;
    const toDo = Array.from({ length: JOBS }, () => executor.submit(sha, size));
    for await (const future of asCompleted(toDo)) {
      const res = await future.result();
      console.log(res);
    }
    actualWorkers = executor.maxWorkers;
  }
  console.log(status(actualWorkers, t0));
}

if (import.meta.main) await main(await parseArgs(Deno.args));
