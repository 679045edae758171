/**
 * The bench's results as the README shows them: a row per case out of its
 * runs, the ratios to the ideal time and to the floors, and a Markdown
 * table with the notes above it.
 *
 * @module
 */

import { decode } from "../tools/harness.ts";
import { describeMemory } from "./memory.ts";
import { CURL, type Run, type Setup } from "./runs.ts";
import { type Case, DELAY_SECONDS, scenarioLabel } from "./scenarios.ts";

/** A row of the table: a case and its runs. */
export interface Row {
  /** The scenario's command line, e.g. "DELAY -e -m 30". */
  scenario: string;
  /** A script, "curl" or "floor". */
  script: string;
  /** Codes searched for (the floor: tasks). */
  codes: number;
  /** Concurrent connections used (the floor: its pool's maxWorkers). */
  concurrency: number;
  /** Median elapsed time of the timed runs, seconds. */
  median: number;
  /** Shortest of them. */
  min: number;
  /** Longest of them. */
  max: number;
  /** DELAY rows: ceil(codes / concurrency) × the delay, seconds. */
  ideal?: number;
  /** The median over the ideal time. */
  ratioIdeal?: number;
  /** LOCAL rows: the median over curl's. */
  ratioCurl?: number;
  /** Threadpool rows of DELAY: the median over the Worker floor's, same scenario. */
  ratioFloor?: number;
  /** Per run: most requests the server held at once (the floor: most tasks running). */
  peak: number[];
  /** Median peak resident memory of the runs, MiB. */
  memoryMiB: number;
  /** What did not add up, per run; empty when every run was sound. */
  problems: string[];
  /** The timed runs, without their traces. */
  runs: Omit<Run, "trace">[];
  /** Elapsed time of the run with `--trace` that the chart draws; not in the median. */
  tracedElapsed?: number;
}

/** The median of `values`: the middle one, or the mean of the two middle ones. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Best possible time when every response takes `delay` s: full rounds of `concurrency` requests. */
export function ideal(
  codes: number,
  concurrency: number,
  delay: number,
): number {
  return Math.ceil(codes / concurrency) * delay;
}

/** Makes a row of the table out of a case's runs. */
export function summarize(c: Case, runs: Run[], traced?: Run): Row {
  const times = runs.map((run) => run.elapsed);
  const { codes, concurrency } = runs[0];
  const idealTime = c.scenario.server === "DELAY"
    ? ideal(codes, concurrency, DELAY_SECONDS)
    : undefined;
  const mid = median(times);
  return {
    scenario: scenarioLabel(c.scenario),
    script: c.script,
    codes,
    concurrency,
    median: mid,
    min: Math.min(...times),
    max: Math.max(...times),
    ideal: idealTime,
    ratioIdeal: idealTime ? mid / idealTime : undefined,
    peak: runs.map((run) => run.peak),
    memoryMiB: median(runs.map((run) => run.memoryKiB)) / 1024,
    problems: [
      ...runs.flatMap((run, i) =>
        run.problems.map((p) => `run ${i + 1}: ${p}`)
      ),
      ...(traced?.problems ?? []).map((p) => `traced run: ${p}`),
    ],
    runs: runs.map(({ trace: _, ...rest }) => rest),
    tracedElapsed: traced?.elapsed,
  };
}

/** Fills in the ratios to the floors: of the LOCAL rows to curl, of the threadpool's to the Worker floor of their scenario. */
export function addFloorRatios(rows: Row[]): void {
  const curl = rows.find((row) => row.script === "curl")?.median;
  for (const row of rows) {
    if (curl && row.scenario.startsWith("LOCAL")) {
      row.ratioCurl = row.median / curl;
    }
    const floor = rows.find((other) =>
      other.script === "floor" && other.scenario === row.scenario
    )?.median;
    if (floor && (row.script === "threadpool" || row.script === "floor")) {
      row.ratioFloor = row.median / floor;
    }
  }
}

/** The script column: the Worker floor says what it is. */
function scriptLabel(script: string): string {
  return script === "floor" ? "Worker floor" : script;
}

/** `a–b`, or `a` when both are the same. */
function range(values: number[], digits = 0): string {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi
    ? lo.toFixed(digits)
    : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
}

/** The Markdown table of the rows. */
export function markdownTable(rows: Row[]): string {
  const head = [
    "scenario",
    "script",
    "codes",
    "concurrency",
    "median s",
    "min–max s",
    "ideal s",
    "× ideal",
    "× curl",
    "× floor",
    "server peak",
    "peak RSS MiB",
    "check",
  ];
  const ratio = (value?: number) => value ? value.toFixed(2) : "";
  const lines = rows.map((row) => [
    row.scenario,
    scriptLabel(row.script),
    String(row.codes),
    String(row.concurrency),
    row.median.toFixed(2),
    range([row.min, row.max], 2),
    row.ideal?.toFixed(1) ?? "",
    ratio(row.ratioIdeal),
    ratio(row.ratioCurl),
    ratio(row.ratioFloor),
    range(row.peak),
    row.memoryMiB.toFixed(0),
    row.problems.length ? `**${row.problems.join("; ")}**` : "ok",
  ]);
  const align = head.map((_, i) =>
    i < 2 || i === head.length - 1 ? "---" : "--:"
  );
  return [head, align, ...lines].map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
}

/** The machine the numbers come from. */
export async function machine(): Promise<Record<string, string | number>> {
  const { total } = Deno.systemMemoryInfo();
  const curl = await new Deno.Command(CURL, { args: ["--version"] }).output()
    .then((out) => decode(out.stdout).split(" ").slice(0, 2).join(" "))
    .catch(() => "none");
  return {
    cores: navigator.hardwareConcurrency,
    memoryGiB: Number((total / 2 ** 30).toFixed(1)),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    curl,
  };
}

/** The lines above the table: date, machine, how things were measured. */
export function preamble(
  date: Date,
  info: Record<string, string | number>,
  repeat: number,
  { method, workdir }: Setup,
): string {
  const when = date.toISOString().slice(0, 16).replace("T", " ");
  return [
    `### flags2 benchmark, ${when} UTC`,
    "",
    `Machine: ${info.cores} cores, ${info.memoryGiB} GiB of memory, ` +
    `${info.os}; Deno ${info.deno}, ${info.curl}.`,
    `${repeat} run(s) per row, without \`--trace\`; one more run with it ` +
    "draws the chart and is checked too. Time: the `Elapsed time` the " +
    "script prints (curl: the whole process, timed by the bench); ideal: " +
    `ceil(codes / concurrency) × ${DELAY_SECONDS} s. Worker floor: the ` +
    "threadpool's pool running tasks that only sleep " +
    `${DELAY_SECONDS} s, no network (\`bench/floor.ts\`). Server peak: ` +
    "most requests the server held at once (floor: most tasks running at " +
    "once). Memory: " + describeMemory(method) +
    `. Working folders in ${workdir ?? "the system's temp folder"}.`,
    "",
  ].join("\n");
}
