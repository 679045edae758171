/**
 * The bench's tables: the one Markdown writer, the median, and the flags
 * table, a row per case with its ratios to the ideal time and to the
 * baselines.
 *
 * @module
 */

import { PRESETS } from "../slow_server.ts";
import { type Case, isBaseline } from "./scenarios.ts";

/** Seconds every DELAY response waits: the unit of the ideal time. */
export const DELAY_SECONDS = PRESETS.DELAY.delay;

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

/** The median of the numbers of `values` that are not NaN (a failed run); NaN when none. */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2) return sorted[mid];
  return sorted.length ? (sorted[mid - 1] + sorted[mid]) / 2 : NaN;
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
 * peak; the Workers its pool created, when it says; the median peak RSS;
 * what did not add up; the runs without traces, and the traced run's time,
 * which is not in the median.
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
    workers: c.traced?.workers ?? c.runs[0].workers,
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

/** The cells of `row` in the flags table, by head, with the baselines' ratio `columns` in this order. */
export function flagCells(row: Row, columns: string[]): Record<string, string> {
  const ratio = (value?: number) => value ? value.toFixed(2) : "";
  return {
    ...{ scenario: row.scenario, script: row.script, codes: `${row.codes}` },
    ...{ concurrency: `${row.concurrency}`, "median s": row.median.toFixed(2) },
    ...{ "min–max s": range([row.min, row.max], 2) },
    ...{
      "ideal s": row.ideal?.toFixed(1) ?? "",
      "× ideal": ratio(row.ratioIdeal),
    },
    ...Object.fromEntries(columns.map((c) => [c, ratio(row.ratios[c])])),
    ...{ "server peak": range(row.peak), Workers: `${row.workers ?? ""}` },
    ...{
      "peak RSS MiB": row.memoryMiB.toFixed(0),
      check: checkCell(row.problems),
    },
  };
}

/** The flags table of `rows` (at least one), with the baselines' ratio `columns` in this order. */
export function flagsTable(rows: Row[], columns: string[]): string {
  const cells = rows.map((row) => flagCells(row, columns));
  return markdownTable(Object.keys(cells[0]), cells.map(Object.values));
}
