/**
 * The page that `deno task bench` writes, `docs/benchmark.md`, from the run
 * it just made: the command and the date, the machine, what was measured,
 * the figures a reader looks for first, the tables and the chart. Nothing on
 * it is typed by hand.
 *
 * @module
 */

import { versionOf, workdir } from "./runs.ts";
import { CURL_PATH } from "./scenarios.ts";
import { DELAY_SECONDS, flagCells, flagsTable, type Row } from "./table.ts";

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

/** What a page is made of: the run's command, date, machine, runs per row, notes, flags rows and their ratio columns, the chart's path from the page, the CPU table. */
export type PageParts = { command: string; date: Date; repeat: number } & {
  machine: Awaited<ReturnType<typeof machine>>;
  notes: string[];
} & { rows: Row[]; columns: string[]; chart: string; cpu?: string };

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
    `- ideal s: ceil(codes / concurrency) × ${DELAY_SECONDS} s, the least ` +
    "any client can wait on DELAY; × ideal 1.00 is the best there is.",
    "- × a baseline: the row's median over the baseline's in the same " +
    "scenario; below 1.00 is faster than it.",
    "- server peak: the most requests the server held at once (per run). " +
    "Workers: what the pool says it created (`-v`'s last line).",
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
  return lines.join("\n") + "\n";
}
