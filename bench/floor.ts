/**
 * The Worker floor of the bench: what the threadpool script's pool costs on
 * its own. The same `ThreadPoolExecutor`, `submit` and `asCompleted` as
 * `flags2_threadpool.ts` against DELAY, but each task only sleeps 0.5 s
 * (DELAY's delay): no request, no file. The bench runs it as a fresh
 * subprocess, timed the same way as the scripts, so that the threadpool's
 * DELAY rows can be read as a ratio to it.
 *
 * ```sh
 * deno run -A bench/floor.ts -m 1000    # 676 tasks on at most 676 Workers
 * deno run -A bench/floor.ts -m 30 -n 100
 * ```
 *
 * @module
 */

import { Command, InvalidArgumentError } from "commander";
import { asCompleted, ThreadPoolExecutor } from "../futures.ts";
import { PRESETS } from "../slow_server.ts";
import { ReportError } from "../tools/report.ts";
import { sleep } from "./floor_tasks.ts";

/** Where the Workers find `sleep`. */
const TASKS_MODULE = import.meta.resolve("./floor_tasks.ts");
/** The threadpool script's default and maximum `-m`. */
const DEFAULT_WORKERS = 30;
const MAX_WORKERS = 1000;
/** `-e`: every code AA ... ZZ. */
const EVERY = 26 * 26;
const SLEEP_MS = PRESETS.DELAY.delay * 1000;

/** What a run of the floor printed. */
export interface FloorReport {
  /** Seconds from just before the pool was made to just after it shut down. */
  elapsed: number;
  /** How many tasks were submitted. */
  tasks: number;
  /** The pool's `maxWorkers`. */
  maxWorkers: number;
  /** How many tasks completed. */
  done: number;
  /** How many Workers the pool created. */
  workersCreated: number;
  /** The most tasks that ran at once. */
  peakRunning: number;
}

/** What the pool did. */
type PoolCounts = Pick<FloorReport, "done" | "workersCreated" | "peakRunning">;

/** Submits `tasks` sleeps to a pool of `maxWorkers`, counts them as they complete. */
async function sleepMany(
  tasks: number,
  maxWorkers: number,
): Promise<PoolCounts> {
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

/**
 * Reads back what `main` printed.
 *
 * @param stdout the floor's standard output
 * @returns its numbers
 * @throws {ReportError} when a line is missing
 */
export function parseFloor(stdout: string): FloorReport {
  const count = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) throw new ReportError(`no line ${pattern}`);
    return Number(match[1]);
  };
  return {
    elapsed: count(/^Elapsed time: (\d+\.\d+)s$/m),
    tasks: count(/^Worker floor: (\d+) tasks? of /m),
    maxWorkers: count(/^(\d+) Workers? at most\.$/m),
    done: count(/^(\d+) tasks? done\.$/m),
    workersCreated: count(/^(\d+) Workers? created,/m),
    peakRunning: count(/at most (\d+) tasks? running at once\.$/m),
  };
}

/** Parses `-m N` and `-n N`: an integer >= 1. */
function positive(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new InvalidArgumentError("must be an integer >= 1");
  }
  return n;
}

/** Runs the pool once and prints its report. */
async function main(args: string[]): Promise<void> {
  const options = new Command()
    .name("bench/floor.ts")
    .description("Time the threadpool's pool alone: tasks that only sleep.")
    .option("-m, --max_req <N>", "most Workers", positive, DEFAULT_WORKERS)
    .option("-n, --tasks <N>", "tasks", positive, EVERY)
    .parse(args, { from: "user" })
    .opts<{ max_req: number; tasks: number }>();
  const tasks = options.tasks;
  // As the scripts do: no more Workers than tasks, nor than their maximum.
  const maxWorkers = Math.min(options.max_req, MAX_WORKERS, tasks);
  console.log(
    `Worker floor: ${tasks} tasks of ${SLEEP_MS / 1000} s, no network.`,
  );
  console.log(`${maxWorkers} Workers at most.`);
  const t0 = performance.now();
  const counts = await sleepMany(tasks, maxWorkers);
  const elapsed = (performance.now() - t0) / 1000;
  console.log("-".repeat(20));
  console.log(`${counts.done} tasks done.`);
  console.log(
    `${counts.workersCreated} Workers created, ` +
      `at most ${counts.peakRunning} tasks running at once.`,
  );
  console.log(`Elapsed time: ${elapsed.toFixed(2)}s`);
  // As the scripts do: tearing down a hundred terminated Workers takes seconds.
  Deno.exit(0);
}

if (import.meta.main) {
  await main(Deno.args);
}
