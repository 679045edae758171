/**
 * RC4 with 20 mixing loops on 12 random texts of about 256 KiB, each
 * encrypted then decrypted back, on a pool of processes: the CPU-bound
 * example of *Fluent Python*'s `crypto/arcfour_futures.py`. Prints the size
 * of each text as its job completes, then how long the whole run took.
 *
 * Workers and child processes load this module for `arcfourTest`, so it
 * runs nothing when imported.
 *
 * ```sh
 * deno run -A crypto/arcfour_futures.ts            # a process per CPU
 * deno run -A crypto/arcfour_futures.ts 2          # 2 processes
 * deno run -A crypto/arcfour_futures.ts --threads  # Workers instead of processes
 * ```
 *
 * @module
 */
import { arcfour, RoundTripError, sameBytes } from "./arcfour.ts";
import { asCompleted } from "../futures.ts";
import {
  newExecutor,
  parseArgs,
  type PoolOptions,
  randomBytes,
  status,
} from "../lib/cpu_pool.ts";

const JOBS = 12;
const SIZE = 2 ** 18;

const KEY = new TextEncoder().encode(
  "'Twas brillig, and the slithy toves\nDid gyre",
);

/**
 * The job: encrypts `size` random bytes with `key`, decrypts them back and
 * checks that they are the same.
 *
 * @param size how many bytes.
 * @param key the key, at most 256 bytes.
 * @returns `size`.
 * @throws {RoundTripError} if the round trip changed the text.
 */
export function arcfourTest(size: number, key: Uint8Array): number {
  const inText = randomBytes(size);
  const cypherText = arcfour(key, inText);
  const outText = arcfour(key, cypherText);
  if (!sameBytes(outText, inText)) {
    throw new RoundTripError("Failed arcfour_test");
  }
  return size;
}

/**
 * Runs the 12 jobs where `options` says, printing each size as it comes.
 *
 * @param options the pool, its size and the jobs' scale, from `parseArgs`.
 */
export async function main(options: PoolOptions): Promise<void> {
  const t0 = performance.now();
  let actualWorkers;
  {
    // RoundTripError is arcfour.ts's: named here, it crosses with its class.
    await using executor = newExecutor(options, import.meta.url, {
      errorClasses: [RoundTripError],
    });
    const toDo = [];
    for (let i = JOBS; i > 0; i--) {
      const size = options.scale *
        (SIZE + Math.trunc(SIZE / JOBS * (i - JOBS / 2)));
      toDo.push(executor.submit(arcfourTest, size, KEY));
    }
    for await (const future of asCompleted(toDo)) {
      const res = await future.result();
      console.log(`${(res / 2 ** 10).toFixed(1)} KB`);
    }
    actualWorkers = executor.maxWorkers;
  }
  console.log(status(actualWorkers, t0));
}

if (import.meta.main) await main(await parseArgs(Deno.args));
