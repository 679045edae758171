/**
 * The bench's tables: the one Markdown writer, and the flags table, a row
 * per case with its ratios to the ideal time and to the baselines.
 *
 * @module
 */

import { PRESETS } from "../slow_server.ts";
import { decode } from "../tools/process.ts";
import { MEMORY_NOTE, workdir } from "./runs.ts";
import { type Case, CURL_PATH, isBaseline } from "./scenarios.ts";
import { median } from "./stats.ts";

/** Seconds every DELAY response waits: the unit of the ideal time. */
const DELAY_SECONDS = PRESETS.DELAY.delay;

/** A Markdown table: the first two columns and the last hold text, the others numbers (aligned right). */
export function markdownTable(head: string[], lines: string[][]): string {
  const align = head.map((_, i) =>
    i < 2 || i === head.length - 1 ? "---" : "--:"
  );
  return [head, align, ...lines].map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
}

/** The "check" cell: "ok", or what did not add up, in bold. */
export function checkCell(problems: string[]): string {
  return problems.length ? `**${problems.join("; ")}**` : "ok";
}

/** A row of the flags table, and of the JSON: what `summarize` makes. */
export type Row = ReturnType<typeof summarize>;

/** The median elapsed time of a case's timed runs. */
export function medianTime(c: Case): number {
  return median(c.runs.map((run) => run.elapsed));
}

/** A DELAY case's best possible time: ceil(codes / concurrency) rounds of the delay. */
export function idealTime({ scenario, runs: [run] }: Case): number | undefined {
  if (scenario.server !== "DELAY") return undefined;
  return Math.ceil(run.codes / run.concurrency) * DELAY_SECONDS;
}

/**
 * The row of `c`: its median, shortest and longest time (s); DELAY's ideal
 * time and the median over it; the median over each baseline's of its
 * scenario among `cases` that divides it, by column; per run, the server's
 * peak; the median peak RSS; what did not add up; the runs without traces,
 * and the traced run's time, which is not in the median.
 */
export function summarize(c: Case, cases: Case[]) {
  const times = c.runs.map((run) => run.elapsed);
  const [mid, ideal] = [medianTime(c), idealTime(c)];
  const ratios: Record<string, number> = {};
  for (const base of cases) {
    if (base.scenario !== c.scenario || !isBaseline(base.runner)) continue;
    const { column, over } = base.runner.ratio;
    if (base === c || (over?.includes(c.runner.id) ?? true)) {
      ratios[column] = mid / medianTime(base);
    }
  }
  const problems = c.runs.flatMap((run, i) =>
    run.problems.map((p) => `run ${i + 1}: ${p}`)
  ).concat((c.traced?.problems ?? []).map((p) => `traced run: ${p}`));
  return {
    ...{ scenario: c.scenario.label, script: c.runner.label },
    ...{ codes: c.runs[0].codes, concurrency: c.runs[0].concurrency },
    ...{ median: mid, min: Math.min(...times), max: Math.max(...times) },
    ...{ ideal, ratioIdeal: ideal ? mid / ideal : undefined, ratios },
    peak: c.runs.map((run) => run.peak),
    memoryMiB: median(c.runs.map((run) => run.memoryKiB)) / 1024,
    problems,
    runs: c.runs.map(({ trace: _, ...rest }) => rest),
    tracedElapsed: c.traced?.elapsed,
  };
}

/** `a–b`, or `a` when both are the same. */
function range(values: number[], digits = 0): string {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const text = [lo, hi].map((v) => v.toFixed(digits));
  return lo === hi ? text[0] : text.join("–");
}

/** The flags table of `rows`, with the baselines' ratio `columns` in this order. */
export function flagsTable(rows: Row[], columns: string[]): string {
  const head = ["scenario", "script", "codes", "concurrency", "median s"];
  head.push("min–max s", "ideal s", "× ideal", ...columns);
  head.push("server peak", "peak RSS MiB", "check");
  const ratio = (value?: number) => value ? value.toFixed(2) : "";
  return markdownTable(
    head,
    rows.map((row) => [
      row.scenario,
      row.script,
      String(row.codes),
      String(row.concurrency),
      row.median.toFixed(2),
      range([row.min, row.max], 2),
      row.ideal?.toFixed(1) ?? "",
      ratio(row.ratioIdeal),
      ...columns.map((column) => ratio(row.ratios[column])),
      range(row.peak),
      row.memoryMiB.toFixed(0),
      checkCell(row.problems),
    ]),
  );
}

export async function machine(): Promise<Record<string, string | number>> {
  const curl = await new Deno.Command(CURL_PATH, { args: ["--version"] })
    .output()
    .then((out) => decode(out.stdout).split(" ").slice(0, 2).join(" "))
    .catch(() => "none");
  return {
    cores: navigator.hardwareConcurrency,
    memoryGiB: Number((Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    curl,
  };
}

/** The lines above the tables: date, machine, how things were measured, the book's lines. */
export function preamble(
  date: Date,
  info: Record<string, string | number>,
  repeat: number,
  book: string[],
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
    `once). Memory: ${MEMORY_NOTE}. Working folders in ${
      workdir() ?? "the system's temp folder"
    }.`,
    ...book,
    "",
  ].join("\n");
}
