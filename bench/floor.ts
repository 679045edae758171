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
import { argumentParser, parseOrExit, positiveInteger } from "../lib/cli.ts";
import { PRESETS } from "../slow_server.ts";
import type { Report } from "../tools/report.ts";
import { sleep } from "./floor_tasks.ts";

/** Where the Workers find `sleep`. */
const TASKS_MODULE = import.meta.resolve("./floor_tasks.ts");
/** The threadpool script's maximum `-m`. */
const MAX_WORKERS = 1000;
const SLEEP_MS = PRESETS.DELAY.delay * 1000;

/**
 * What a run of the floor prints, as JSON: a flags script's report, where
 * a task that did not complete is lost, as a download would be.
 */
export interface FloorReport extends Report {
  /** The most tasks that ran at once. */
  peak: number;
  /** How many Workers the pool created. */
  workersCreated: number;
}

/** Submits `tasks` sleeps to a pool of `maxWorkers`; counts them as they complete. */
async function sleepMany(tasks: number, maxWorkers: number) {
  await using executor = new ThreadPoolExecutor(maxWorkers, TASKS_MODULE);
  const futures = Array.from(
    { length: tasks },
    () => executor.submit(sleep, SLEEP_MS),
  );
  let done = 0;
  for await (const future of asCompleted(futures)) {
    await future.result();
    done += 1;
  }
  const { workersCreated, peakRunning } = executor;
  return { done, workersCreated, peakRunning };
}

/** Runs the pool once and prints its report. */
async function main(args: string[]): Promise<void> {
  const program = (await argumentParser("bench/floor.ts"))
    .usage("[-h] [-m N] [-n N]")
    .description("Time the threadpool's pool alone: tasks that only sleep.")
    .option("-m, --max_req <N>", "most Workers", positiveInteger, 30)
    .option("-n, --tasks <N>", "tasks", positiveInteger, 26 * 26);
  const options = parseOrExit<{ max_req: number; tasks: number }>(
    program,
    args,
  );
  const tasks = options.tasks;
  // As the scripts do: no more Workers than tasks, nor than their maximum.
  const maxWorkers = Math.min(options.max_req, MAX_WORKERS, tasks);
  const t0 = performance.now();
  const counts = await sleepMany(tasks, maxWorkers);
  const elapsed = (performance.now() - t0) / 1000;
  const { done, workersCreated, peakRunning } = counts;
  const report: FloorReport = {
    elapsed,
    codes: tasks,
    concurrency: maxWorkers,
    ok: done,
    notFound: 0,
    errors: 0,
    peak: peakRunning,
    workersCreated,
  };
  console.log(JSON.stringify(report));
  // As the scripts do: tearing down a hundred terminated Workers takes seconds.
  Deno.exit(0);
}

if (import.meta.main) {
  await main(Deno.args);
}
