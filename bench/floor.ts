/**
 * The Worker floor of the bench: what the threadpool script's pool costs on
 * its own. The same `ThreadPoolExecutor`, `submit` and `asCompleted` as
 * `flags2_threadpool.ts` against DELAY, but each task only sleeps 0.5 s
 * (DELAY's delay): no request, no file. The bench runs it as a fresh
 * subprocess, timed like the scripts, and reads the one JSON line it prints.
 *
 * ```sh
 * deno run -A bench/floor.ts -m 1000    # 676 tasks on at most 676 Workers
 * deno run -A bench/floor.ts -m 30 -n 100
 * ```
 *
 * @module
 */

import { asCompleted, ThreadPoolExecutor } from "../futures.ts";
import { argumentParser, positiveInt } from "../lib/cli.ts";
import { PRESETS } from "../slow_server.ts";
import type { Report } from "../testing/report.ts";
import { sleep } from "./floor_tasks.ts";

/** The threadpool script's maximum `-m`. */
const MAX_WORKERS = 1000;

/**
 * What a run of the floor prints, as JSON: a flags script's report, where a
 * task that did not complete is lost, as a download would be; the most
 * tasks that ran at once; how many Workers the pool created.
 */
export interface FloorReport extends Report {
  peak: number;
  workers: number;
}

/** Submits the sleeps to the pool, counts them as they complete, prints the report. */
async function main(args: string[]): Promise<void> {
  const parser = await argumentParser({
    prog: "bench/floor.ts",
    description: "Time the threadpool's pool alone: tasks that only sleep.",
  });
  parser.add_argument("-m", "--max_req", {
    metavar: "N",
    type: positiveInt,
    default: 30,
    help: "most Workers (default: %(default)s)",
  });
  parser.add_argument("-n", "--tasks", {
    metavar: "N",
    type: positiveInt,
    default: 26 * 26,
    help: "tasks (default: %(default)s)",
  });
  const { max_req, tasks } = parser.parse_args(args);
  // As the scripts do: no more Workers than tasks, nor than their maximum.
  const maxWorkers = Math.min(max_req, MAX_WORKERS, tasks);
  const t0 = performance.now();
  const tasksModule = import.meta.resolve("./floor_tasks.ts");
  const ms = PRESETS.DELAY.delay * 1000;
  let [ok, peak, workers] = [0, 0, 0];
  { // The pool shuts down at the end of this block, within the time, as the script's.
    await using executor = new ThreadPoolExecutor(maxWorkers, tasksModule);
    const futures = Array.from(
      { length: tasks },
      () => executor.submit(sleep, ms),
    );
    for await (const future of asCompleted(futures)) {
      await future.result();
      ok += 1;
    }
    [peak, workers] = [executor.peakRunning, executor.workersCreated];
  }
  const report: FloorReport = {
    ...{ elapsed: (performance.now() - t0) / 1000, codes: tasks, ok },
    ...{ concurrency: maxWorkers, notFound: 0, errors: 0 },
    ...{ peak, workers },
  };
  console.log(JSON.stringify(report));
  // As the scripts do: tearing down a hundred terminated Workers takes seconds.
  Deno.exit(0);
}

if (import.meta.main) {
  await main(Deno.args);
}
