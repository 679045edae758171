/**
 * The page that `deno task bench` writes, `docs/benchmark.md`, from the run
 * it just made: the command and the date, the machine, what was measured,
 * the figures a reader looks for first, the tables and the chart. Nothing on
 * it is typed by hand.
 *
 * @module
 */

import { PRESETS } from "../slow_server.ts";
import { versionOf, workdir } from "./runs.ts";
import { type Case, CURL_PATH, isBaseline } from "./scenarios.ts";

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
  return Math.ceil(run.codes / run.concurrency) * PRESETS.DELAY.delay;
}

/** The row of `c`: its times, DELAY's ideal and the median over it, the median over each baseline of `cases` that divides it (by column), the servers' peaks, the Workers, the median peak RSS, what did not add up, the runs, and the traced run's time (not in the median). */
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
    ...{ "ideal s": row.ideal?.toFixed(1) ?? "" },
    ...{ "× ideal": ratio(row.ratioIdeal) },
    ...Object.fromEntries(columns.map((c) => [c, ratio(row.ratios[c])])),
    ...{ "server peak": range(row.peak), Workers: `${row.workers ?? ""}` },
    ...{ "peak RSS MiB": row.memoryMiB.toFixed(0) },
    ...{ check: checkCell(row.problems) },
  };
}

/** The flags table of `rows` (at least one), with the baselines' ratio `columns` in this order. */
export function flagsTable(rows: Row[], columns: string[]): string {
  const cells = rows.map((row) => flagCells(row, columns));
  return markdownTable(Object.keys(cells[0]), cells.map(Object.values));
}

/** The machine of a run: CPU model, cores, memory, system, Deno, Python and curl. */
export async function machine(python: string) {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const curl = await versionOf([CURL_PATH, "--version"]);
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? Deno.build.arch,
    cores: navigator.hardwareConcurrency,
    memoryGiB: Number((Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    python: await versionOf([python, "--version"]) ?? `no ${python}`,
    curl: curl?.split(" ").slice(0, 2).join(" ") ?? "no curl",
  };
}

/** The figures a reader looks for first: a scenario, a script, the columns of its row. */
const FIGURES = [
  ["DELAY -e -m 1000", "threadpool", "× book", "× ideal", "server peak"]
    .concat("Workers", "peak RSS MiB"),
  ["DELAY -e -m 30", "threadpool", "median s", "× ideal", "× book"],
  ["ERROR -e", "threadpool", "median s", "× book"],
  ["LOCAL -e", "threadpool", "median s"],
  ["LOCAL", "flags_threadpool_ac.ts", "median s"],
];

/** A line per figure of `FIGURES` that the run has, read from the table's cells. */
function figures(rows: Row[], columns: string[]): string[] {
  return FIGURES.flatMap(([scenario, script, ...heads]) => {
    const row = rows.find((r) =>
      r.scenario === scenario && r.script === script
    );
    if (!row) return [];
    const cells = flagCells(row, columns);
    const shown = heads.filter((head) => cells[head]);
    const text = shown.map((head) => `${head} ${cells[head]}`).join(", ");
    return shown.length ? [`- ${scenario}, ${script}: ${text}.`] : [];
  });
}

/** What a page is made of: the run's command, date, machine, runs per row, notes, flags rows and their ratio columns, the chart's path from the page, the CPU table, the futures table. */
export type PageParts =
  & { command: string; date: Date; repeat: number }
  & {
    machine: Awaited<ReturnType<typeof machine>>;
    notes: string[];
  }
  & { rows: Row[]; columns: string[]; chart: string; cpu?: string }
  & {
    futures?: string;
  };

/** The Markdown page of a run. */
export function benchmarkPage(p: PageParts): string {
  const when = p.date.toISOString().slice(0, 16).replace("T", " ");
  const m = p.machine;
  const lines = [
    "# Benchmark",
    "",
    `Written by \`${p.command}\` on ${when} UTC, from the run it made. Run ` +
    "it again to see your machine's figures.",
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB of memory, ` +
    `${m.os}; Deno ${m.deno}, ${m.python}, ${m.curl}.`,
    "",
    "## What is measured",
    "",
    `- ${p.repeat} run(s) per row, in rounds (each row once a round), ` +
    "without `--trace`; one more run with `--trace -v` draws the chart and " +
    "is checked too.",
    "- median s: the `Elapsed time` the script prints (curl and Example " +
    "17-4: the whole process, timed by the bench).",
    `- ideal s: ceil(codes / concurrency) × ${PRESETS.DELAY.delay} s, the least ` +
    "any client can wait on DELAY; × ideal 1.00 is the best there is.",
    "- × a baseline: the row's median over the baseline's in the same " +
    "scenario; below 1.00 is faster than it.",
    "- server peak: the most requests the server held at once (per run). " +
    "Workers: what the threadpool's pool created (its `-v` line); a Worker " +
    "carries many downloads at once.",
    "- peak RSS: of the child process, VmHWM of `/proc/PID/status` polled " +
    "every 20 ms; Workers are threads of that process, so they are included. " +
    `Working folders in ${workdir() ?? "the system's temp folder"}.`,
    ...p.notes.map((note) => `- ${note}`),
  ];
  const found = figures(p.rows, p.columns);
  if (found.length) lines.push("", "## Figures to read first", "", ...found);
  if (p.rows.length) {
    lines.push("", "## Downloads", "", flagsTable(p.rows, p.columns));
  }
  if (p.chart) lines.push("", `![Downloads completed over time](${p.chart})`);
  if (p.cpu) lines.push("", "## CPU-bound scripts", "", p.cpu);
  if (p.futures) {
    lines.push("", "## futures.ts beside concurrent.futures", "", p.futures);
  }
  return lines.join("\n") + "\n";
}
