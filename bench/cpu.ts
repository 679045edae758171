/**
 * The bench's `cpu` scenario: the chapter's CPU-bound scripts,
 * `sha_futures.ts` and `arcfour_futures.ts`, each run in a plain loop on the
 * main thread, on 1 and 2 Workers and on 1 and 2 processes, at the book's
 * job sizes and at `SCALE` times them; a row per script and size, with the
 * three ratios that issue 10 sets targets for.
 *
 * @module
 */

import { repoPath, tempDir } from "../tools/harness.ts";
import { type MemoryMethod, runMeasured } from "./memory.ts";
import { median } from "./table.ts";

/** The CPU scripts, by file name. */
export const CPU_SCRIPTS = ["sha_futures.ts", "arcfour_futures.ts"] as const;

/**
 * How much bigger the jobs of each script's second row are: a job then
 * takes 0.1-0.3 s here, still less than the book's 1-2 s in CPython.
 */
export const SCALE = 32;

/** Where the jobs run: the scripts' arguments, and the workers line they must print. */
export const MODES = {
  "plain": { args: ["--plain"], workers: 0 },
  "1 Worker": { args: ["--threads", "1"], workers: 1 },
  "2 Workers": { args: ["--threads", "2"], workers: 2 },
  "1 process": { args: ["1"], workers: 1 },
  "2 processes": { args: ["2"], workers: 2 },
} as const;

/** One of the five ways to run the jobs. */
export type Mode = keyof typeof MODES;

/** What issue 10 asks of 2 workers on 2 cores. */
export const TARGETS = {
  /** 2 Workers' time over 1 Worker's, at most. */
  workers: 0.60,
  /** 2 processes' time over 1 process's, at most. */
  processes: 0.65,
  /** 2 Workers' time over half the plain loop's, minus 1, under. */
  overhead: 0.15,
};

/** The runs of one script at one scale, and what they give. */
export interface CpuRow {
  /** The script's file name. */
  script: string;
  /** How many times the book's size each job is. */
  scale: number;
  /** The elapsed times each mode printed, a round each; NaN for a failed run. */
  times: Record<Mode, number[]>;
  /** Their medians. */
  median: Record<Mode, number>;
  /** 2 Workers / 1 Worker, the median of the rounds'. */
  workersRatio: number;
  /** 2 processes / 1 process, the median of the rounds'. */
  processesRatio: number;
  /** 2 Workers / (plain / 2) - 1, the median of the rounds': what the pool adds to a perfect split. */
  overhead: number;
  /** What went wrong in the runs; empty when they were sound. */
  problems: string[];
}

/** How the bench runs the scripts, and tells where it is. */
export interface CpuSetup {
  /** Runs per mode. */
  repeat: number;
  /** The scales to run: 1 is the book's size. */
  scales: number[];
  /** The bench's memory method: only its way to run (and kill) a child is used. */
  method: MemoryMethod;
  /** Parent of the folder the scripts run from; the system's temp folder if undefined. */
  workdir?: string;
  /** Aborting it kills the run under way, and the processes it started. */
  signal: AbortSignal;
  /** Shows where the bench is. */
  progress(text: string): void;
}

/**
 * Reads a CPU script's output: 12 job lines, then `N workers, elapsed
 * time: 1.23s`.
 *
 * @param stdout what the script printed
 * @returns the workers and seconds of the last line, or undefined when the
 *   output is not that
 */
export function parseStatus(
  stdout: string,
): { workers: number; elapsed: number } | undefined {
  const lines = stdout.trimEnd().split("\n");
  const match = /^(\d+) workers, elapsed time: (\d+\.\d+)s$/.exec(
    lines.at(-1) ?? "",
  );
  if (lines.length !== 13 || !match) return undefined;
  return { workers: Number(match[1]), elapsed: Number(match[2]) };
}

/** Runs `script` once in `mode` from `cwd`; returns its time, or a problem. */
async function runOnce(
  script: string,
  scale: number,
  mode: Mode,
  cwd: string,
  { method, signal }: CpuSetup,
): Promise<number | string> {
  const cmd = [
    Deno.execPath(),
    "run",
    "-A",
    repoPath(script),
    ...MODES[mode].args,
    "--scale",
    String(scale),
  ];
  const out = await runMeasured(cmd, cwd, method, signal);
  const status = parseStatus(out.stdout);
  if (out.code !== 0 || !status) {
    const last = out.stderr.trim().split("\n").at(-1) ?? "";
    return `exit status ${out.code}, no status line: ${last}`;
  }
  if (status.workers !== MODES[mode].workers) {
    return `${status.workers} workers, not ${MODES[mode].workers}`;
  }
  return status.elapsed;
}

/**
 * Runs every script at every scale in every mode, `repeat` times, in
 * rounds: a slow spell of the machine then weighs on every mode alike.
 * One run of each script first, in each pool, so that no timed run pays
 * for transpiling.
 *
 * @param setup how many runs, which scales, how to run and to report
 * @returns a row per script and scale
 * @throws the reason of `signal` when it was aborted
 */
export async function runCpu(setup: CpuSetup): Promise<CpuRow[]> {
  await using dir = await tempDir({
    prefix: "flags2-bench-",
    dir: setup.workdir,
  });
  setup.progress("cpu: warming up");
  for (const script of CPU_SCRIPTS) {
    await runOnce(script, 1, "1 Worker", dir.path, setup);
    await runOnce(script, 1, "1 process", dir.path, setup);
  }
  const rows = CPU_SCRIPTS.flatMap((script) =>
    setup.scales.map((scale) => ({
      script,
      scale,
      times: mapModes((): number[] => []),
      problems: [] as string[],
    }))
  );
  for (let r = 1; r <= setup.repeat; r++) {
    for (const row of rows) {
      for (const mode of Object.keys(MODES) as Mode[]) {
        setup.progress(`cpu: ${row.script} ×${row.scale} ${mode} run ${r}`);
        const time = await runOnce(
          row.script,
          row.scale,
          mode,
          dir.path,
          setup,
        );
        if (typeof time === "number") row.times[mode].push(time);
        else {
          row.times[mode].push(NaN);
          row.problems.push(`${mode} run ${r}: ${time}`);
        }
      }
    }
  }
  return rows.map((row) => {
    const t = row.times;
    return {
      ...row,
      median: mapModes((mode) => finiteMedian(t[mode])),
      workersRatio: pairedMedian(
        t["2 Workers"],
        t["1 Worker"],
        (a, b) => a / b,
      ),
      processesRatio: pairedMedian(
        t["2 processes"],
        t["1 process"],
        (a, b) => a / b,
      ),
      overhead: pairedMedian(
        t["2 Workers"],
        t.plain,
        (a, b) => a / (b / 2) - 1,
      ),
    };
  });
}

/** The median of the numbers that are not NaN. */
function finiteMedian(values: number[]): number {
  return median(values.filter(Number.isFinite));
}

/**
 * The median of `fn(a[r], b[r])` over the rounds r. This VM's speed drifts
 * by up to half over minutes, so two runs compare best within a round.
 */
function pairedMedian(
  a: number[],
  b: number[],
  fn: (a: number, b: number) => number,
): number {
  return finiteMedian(a.map((x, r) => fn(x, b[r])));
}

/** A record of `fn(mode)` for every mode. */
function mapModes<T>(fn: (mode: Mode) => T): Record<Mode, T> {
  return Object.fromEntries(
    (Object.keys(MODES) as Mode[]).map((mode) => [mode, fn(mode)]),
  ) as Record<Mode, T>;
}

/**
 * The Markdown table of the rows, with the targets in its head and a ✓ or
 * ✗ beside each ratio.
 *
 * @param rows the rows of `runCpu`
 * @param repeat how many runs each median is of
 * @returns the table, with a line above it
 */
export function cpuTable(rows: CpuRow[], repeat: number): string {
  const modes = Object.keys(MODES) as Mode[];
  const head = [
    "script",
    "job size",
    ...modes.map((mode) => `${mode} s`),
    `2 Workers / 1 Worker (≤ ${TARGETS.workers.toFixed(2)})`,
    `2 processes / 1 process (≤ ${TARGETS.processes.toFixed(2)})`,
    `pool overhead (< ${TARGETS.overhead * 100} %)`,
    "check",
  ];
  const mark = (ok: boolean) => ok ? "✓" : "✗";
  const lines = rows.map((row) => [
    row.script,
    row.scale === 1 ? "book's" : `×${row.scale}`,
    ...modes.map((mode) => row.median[mode].toFixed(2)),
    `${row.workersRatio.toFixed(2)} ${
      mark(row.workersRatio <= TARGETS.workers)
    }`,
    `${row.processesRatio.toFixed(2)} ${
      mark(row.processesRatio <= TARGETS.processes)
    }`,
    `${(row.overhead * 100).toFixed(0)} % ${
      mark(row.overhead < TARGETS.overhead)
    }`,
    row.problems.length ? `**${row.problems.join("; ")}**` : "ok",
  ]);
  const align = head.map((_, i) =>
    i < 2 || i === head.length - 1 ? "---" : "--:"
  );
  return [
    `CPU-bound scripts: median of ${repeat} run(s) of the elapsed time each ` +
    "script prints, in rounds (each mode once a round); the ratios are the " +
    "medians of the rounds' ratios; pool overhead = 2 Workers / (plain / 2) - 1.",
    "",
    ...[head, align, ...lines].map((cells) => `| ${cells.join(" | ")} |`),
  ].join("\n");
}
