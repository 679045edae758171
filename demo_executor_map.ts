/**
 * Experiment with `ThreadPoolExecutor.map`: *Fluent Python*'s
 * `demo_executor_map.py` (Example 17-6). Five calls of `loiter` on 3 Workers;
 * `map` yields their results in the order they were submitted, so the
 * results wait for the slowest call before them.
 *
 *     deno run -A demo_executor_map.ts
 *
 * The Workers load this module for `loiter`, so importing it only defines.
 *
 * @module
 */
import { ThreadPoolExecutor } from "./futures.ts";
import { argumentParser } from "./lib/cli.ts";
import { exitOnMissingPermission, LOAD_CODE } from "./lib/permissions.ts";

/** Prints `args` as `console.log` does, after the time as `[HH:MM:SS]`. */
export function display(...args: unknown[]): void {
  const now = new Date().toTimeString().slice(0, 8);
  console.log(`[${now}]`, ...args);
}

/**
 * Says so, blocks its Worker `n` seconds as `time.sleep` blocks a thread,
 * says so again; its lines are indented by `n` tabs.
 *
 * @param n seconds to block.
 * @returns `n * 10`.
 *
 * @example A second on this thread
 * ```ts
 * import assert from "node:assert/strict";
 * import { loiter } from "./demo_executor_map.ts";
 *
 * assert.equal(loiter(1), 10); // after "loiter(1): doing nothing for 1s..."
 * ```
 */
export function loiter(n: number): number {
  const tabs = "\t".repeat(n);
  display(`${tabs}loiter(${n}): doing nothing for ${n}s...`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n * 1000);
  display(`${tabs}loiter(${n}): done.`);
  return n * 10;
}

/**
 * Maps `loiter` over 0..4 on 3 Workers, then prints each result as `map`
 * yields it. It takes no argument: `-h` prints the help, anything else is
 * a usage error.
 */
export async function main(): Promise<void> {
  const parser = await argumentParser({
    description: "Map loiter over 0..4 on 3 Workers; results in order.",
  });
  parser.parse_args(Deno.args);
  exitOnMissingPermission(LOAD_CODE); // what the Workers load
  display("Script starting.");
  await using executor = new ThreadPoolExecutor(3, import.meta.url);
  const results = executor.map(loiter, [0, 1, 2, 3, 4]);
  display("results:", results);
  display("Waiting for individual results:");
  let i = 0;
  for await (const result of results) display(`result ${i++}: ${result}`);
}

if (import.meta.main) await main();
