/**
 * The bench's `cpu` scenario: the chapter's CPU-bound scripts,
 * `sha_futures.ts` and `arcfour_futures.ts`, each run in a plain loop on the
 * main thread, on 1 and 2 Workers and on 1 and 2 processes, at the book's
 * job sizes and at `SCALE` times them; a row per script and size, with the
 * ratios of 2 workers to 1, and the book's own scripts in the modes they
 * have.
 *
 * @module
 */

import { repoPath } from "../testing/files.ts";
import { denoArgv } from "../testing/process.ts";
import { inRounds, measure, type RunContext, runOnce } from "./runs.ts";
import { checkCell, markdownTable, median } from "./table.ts";

/** How much bigger the jobs of each script's second row are: enough that handing a job to a pool costs little beside it. */
export const SCALE = 32;

/** Where the jobs run: the scripts' arguments, and the workers line they must print. */
export const MODES = {
  "plain": { args: ["--plain"], workers: 0 },
  "1 Worker": { args: ["--threads", "1"], workers: 1 },
  "2 Workers": { args: ["--threads", "2"], workers: 2 },
  "1 process": { args: ["1"], workers: 1 },
  "2 processes": { args: ["2"], workers: 2 },
} as const;

export type Mode = keyof typeof MODES;

const ALL_MODES = Object.keys(MODES) as Mode[];

/** The ratio of mode `of[0]` over `of[1]`, at most `max`: what 2 workers on 2 cores should reach. */
const ratio = (id: string, of: [Mode, Mode], max: number) => ({
  ...{ id, of, head: `${of.join(" / ")} (≤ ${max.toFixed(2)})` },
  value: (a: number, b: number) => a / b,
  text: (r: number) => r.toFixed(2),
  ok: (r: number) => r <= max,
});

/** The ratios of the table, each computed within a round (the machine's speed drifts over minutes), its head, its cell and its target. */
const RATIOS = [
  ratio("workersRatio", ["2 Workers", "1 Worker"], 0.60),
  ratio("processesRatio", ["2 processes", "1 process"], 0.65),
  { // What the pool adds to a perfect split of the plain loop.
    ...{ id: "overhead", of: ["2 Workers", "plain"] as const },
    head: "pool overhead (< 15 %)",
    value: (a: number, b: number) => a / (b / 2) - 1,
    text: (r: number) => `${(r * 100).toFixed(0)} %`,
    ok: (r: number) => r < 0.15,
  },
];

/** What a CPU script prints last: its workers and seconds; undefined when it is not that. */
export type Status = { workers: number; elapsed: number } | undefined;

/**
 * A CPU-bound script, ours or the book's: its name in the table, its modes,
 * whether it takes `--scale` (else it runs at the book's size only), its
 * command line, and what reads its output.
 */
export interface CpuScript {
  label: string;
  modes: readonly Mode[];
  scaled: boolean;
  command(mode: Mode, scale: number): string[];
  read(stdout: string): Status;
}

/** Reads a CPU script's output: 12 job lines, then `N workers, elapsed time: 1.23s`, as ours and the book's first edition print. */
export function parseStatus(stdout: string): Status {
  const lines = stdout.trimEnd().split("\n");
  const match = /^(\d+) workers, elapsed time: (\d+\.\d+)s$/.exec(
    lines.at(-1) ?? "",
  );
  if (lines.length !== 13 || !match) return undefined;
  return { workers: Number(match[1]), elapsed: Number(match[2]) };
}

/** Our CPU scripts, run with `deno run -A`. */
export const CPU_SCRIPTS: CpuScript[] = [
  "sha_futures.ts",
  "arcfour_futures.ts",
].map((file) => ({
  label: file,
  modes: ALL_MODES,
  scaled: true,
  command: (mode, scale) =>
    denoArgv(["run", repoPath(`crypto/${file}`), ...MODES[mode].args], ["-A"])
      .concat("--scale", String(scale)),
  read: parseStatus,
}));

/** A row of the CPU table, and of the JSON: what `runCpu` makes. */
export type CpuRow = Awaited<ReturnType<typeof runCpu>>[number];

/** One run of a script: at a scale, in a mode. */
type CpuRun = { script: CpuScript; scale: number; mode: Mode };

/** Runs a script once; returns its time, or a problem. */
async function timeRun(run: CpuRun, ctx: RunContext): Promise<number | string> {
  const out = await measure(run.script.command(run.mode, run.scale), ctx);
  const status = run.script.read(out.stdout);
  if (out.code !== 0 || !status) {
    const last = out.stderr.trim().split("\n").at(-1) ?? "";
    return `exit status ${out.code}, no status line: ${last}`;
  }
  const { workers } = MODES[run.mode];
  const wrong = status.workers !== workers;
  return wrong ? `${status.workers} workers, not ${workers}` : status.elapsed;
}

/**
 * Runs every script at every scale in each of its modes, `repeat` times, in
 * rounds. Each script first runs once in each pool of 2 workers; a script
 * that fails it is left out, with a line.
 *
 * @returns a row per script and scale (how many times the book's size each
 *   job is): the times of each of its modes, a round each (NaN for a failed
 *   run), their medians, the medians of the rounds' ratios by id (NaN when a
 *   mode is missing), what went wrong
 * @throws the reason of `signal` when it was aborted
 */
export async function runCpu(
  scripts: CpuScript[],
  repeat: number,
  scales: number[],
  signal: AbortSignal,
) {
  const rows = scripts.flatMap((script) =>
    (script.scaled ? scales : [1]).map((scale) => ({
      ...{ script, scale, times: {} as Partial<Record<Mode, number[]>> },
      problems: [] as string[],
    }))
  );
  const runs = rows.flatMap((row) =>
    row.script.modes.map((mode) => ({ row, mode }))
  );
  const time = (what: string, run: CpuRun) =>
    runOnce(`cpu: ${run.script.label} ×${run.scale} ${what}`, { signal }, {
      run: timeRun,
    }, run);
  const left = await inRounds(runs, repeat, {
    of: ({ row }) => row.script,
    async warmUp(script) {
      let problem;
      for (const mode of script.modes.filter((m) => MODES[m].workers === 2)) {
        const result = await time(`${mode} warm-up`, {
          script,
          scale: 1,
          mode,
        });
        if (typeof result === "string") problem ??= result;
      }
      return problem;
    },
    async run({ row, mode }, r) {
      const what = `${mode} run ${r}`;
      const result = await time(what, { ...row, mode });
      (row.times[mode] ??= []).push(typeof result === "number" ? result : NaN);
      if (typeof result === "string") row.problems.push(`${what}: ${result}`);
    },
  });
  const kept = rows.filter((row) => left.some((run) => run.row === row));
  return kept.map(({ script, scale, times, problems }) => ({
    ...{ script: script.label, scale, times },
    median: Object.fromEntries(
      Object.entries(times).map(([mode, times]) => [mode, median(times)]),
    ) as Partial<Record<Mode, number>>,
    ratios: Object.fromEntries<number>(RATIOS.map(({ id, of, value }) => {
      const [a, b] = of.map((mode) => times[mode]);
      return [id, a && b ? median(a.map((x, r) => value(x, b[r]))) : NaN];
    })),
    problems,
  }));
}

/** The Markdown table of the rows of `runCpu`, with a line above it, the targets in its head and a ✓ or ✗ beside each ratio. */
export function cpuTable(rows: CpuRow[], repeat: number): string {
  const head = ["script", "job size", ...ALL_MODES.map((mode) => `${mode} s`)];
  head.push(...RATIOS.map((ratio) => ratio.head), "check");
  const lines = rows.map((row) => [
    row.script,
    row.scale === 1 ? "book's" : `×${row.scale}`,
    ...ALL_MODES.map((mode) => row.median[mode]?.toFixed(2) ?? ""),
    ...RATIOS.map(({ id, text, ok }) => {
      const r = row.ratios[id];
      return Number.isNaN(r) ? "" : `${text(r)} ${ok(r) ? "✓" : "✗"}`;
    }),
    checkCell(row.problems),
  ]);
  return [
    `Median of ${repeat} run(s) of the elapsed time each ` +
    "script prints, in rounds (each mode once a round); the ratios are the " +
    "medians of the rounds' ratios; pool overhead = 2 Workers / (plain / 2) - 1.",
    "",
    markdownTable(head, lines),
  ].join("\n");
}
