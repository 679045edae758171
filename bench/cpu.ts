/**
 * The bench's `cpu` scenario: the chapter's CPU-bound scripts,
 * `sha_futures.ts` and `arcfour_futures.ts`, each run in a plain loop on the
 * main thread, on 1 and 2 Workers and on 1 and 2 processes, at the book's
 * job sizes and at `SCALE` times them, and the book's own scripts in the
 * modes they have; a row per script and size, with the ratios of 2 workers
 * to 1.
 *
 * @module
 */

import { repoPath } from "../testing/files.ts";
import { denoArgv } from "../testing/process.ts";
import { inRounds, measure, type RunContext, runOnce } from "./runs.ts";
import { checkCell, markdownTable, median } from "./page.ts";

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

/** The ratios of the table, mode over mode, each within a round (the machine's speed drifts over minutes), with their targets: what 2 workers on 2 cores should reach when the jobs are long beside a worker's start, as at `SCALE`. At the book's size a pool costs about what it saves (docs/cpu.md): no target. */
const RATIOS = [
  { id: "workersRatio", of: ["2 Workers", "1 Worker"], max: 0.60 },
  { id: "processesRatio", of: ["2 processes", "1 process"], max: 0.65 },
] as const;

/** What a CPU script prints last: its workers and seconds; undefined when it is not that. */
export type Status = { workers: number; elapsed: number } | undefined;

/** A CPU-bound script, ours or the book's: its name in the table, its modes, whether it takes `--scale` (else it runs at the book's size only), its command line, and what reads its output. */
export type CpuScript = { label: string; modes: readonly Mode[] } & {
  scaled: boolean;
  command(mode: Mode, scale: number): string[];
  read(stdout: string): Status;
};

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

/** Runs `script` once at `scale` in `mode`; returns its time, or a problem. */
async function timeRun(
  { script, scale, mode }: { script: CpuScript; scale: number; mode: Mode },
  ctx: RunContext,
): Promise<number | string> {
  const out = await measure(script.command(mode, scale), ctx);
  const status = script.read(out.stdout);
  if (out.code !== 0 || !status) {
    const last = out.stderr.trim().split("\n").at(-1) ?? "";
    return `exit status ${out.code}, no status line: ${last}`;
  }
  const { workers } = MODES[mode];
  const wrong = status.workers !== workers;
  return wrong ? `${status.workers} workers, not ${workers}` : status.elapsed;
}

/**
 * Runs every script at every scale in each of its modes, `repeat` times, in
 * rounds; a script that fails its warm-up (once in each pool of 2 workers)
 * is left out, with a line.
 *
 * @returns a row per script and scale: each mode's times (NaN for a failed
 *   run) and their median, the medians of the rounds' ratios, what went wrong
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
  const time = (what: string, script: CpuScript, scale: number, mode: Mode) =>
    runOnce(`cpu: ${script.label} ×${scale} ${mode} ${what}`, { signal }, {
      run: timeRun,
    }, { script, scale, mode });
  const left = await inRounds(runs, repeat, {
    of: ({ row }) => row.script,
    async warmUp(script) {
      for (const mode of script.modes.filter((m) => MODES[m].workers === 2)) {
        const result = await time("warm-up", script, 1, mode);
        if (typeof result === "string") return result;
      }
    },
    async run({ row, mode }, r) {
      const result = await time(`run ${r}`, row.script, row.scale, mode);
      (row.times[mode] ??= []).push(typeof result === "number" ? result : NaN);
      if (typeof result === "string") {
        row.problems.push(`${mode} run ${r}: ${result}`);
      }
    },
  });
  const kept = rows.filter((row) => left.some((run) => run.row === row));
  return kept.map(({ script, scale, times, problems }) => ({
    ...{ script: script.label, scale, times },
    median: Object.fromEntries(
      Object.entries(times).map(([mode, times]) => [mode, median(times)]),
    ) as Partial<Record<Mode, number>>,
    ratios: Object.fromEntries<number>(RATIOS.map(({ id, of }) => {
      const [a, b] = of.map((mode) => times[mode]);
      return [id, a && b ? median(a.map((x, r) => x / b[r])) : NaN];
    })),
    problems,
  }));
}

/** The Markdown table of the rows of `runCpu`, with the lines above it that say how to read it: a ✓ or ✗ beside each ratio at `SCALE`, where a target is claimed. */
export function cpuTable(rows: CpuRow[], repeat: number): string {
  const head = ["script", "job size", ...ALL_MODES.map((mode) => `${mode} s`)];
  head.push(...RATIOS.map(({ of }) => of.join(" / ")), "check");
  const lines = rows.map((row) => [
    row.script,
    row.scale === 1 ? "book's" : `×${row.scale}`,
    ...ALL_MODES.map((mode) => row.median[mode]?.toFixed(2) ?? ""),
    ...RATIOS.map(({ id, max }) => {
      const r = row.ratios[id];
      if (Number.isNaN(r)) return "";
      const mark = row.scale !== SCALE ? "" : r <= max ? " ✓" : " ✗";
      return `${r.toFixed(2)}${mark}`;
    }),
    checkCell(row.problems),
  ]);
  const targets = RATIOS.map(({ of, max }) =>
    `${of.join(" / ")} ≤ ${max.toFixed(2)}`
  );
  return [
    `Median of ${repeat} run(s) of the elapsed time each script prints, in ` +
    "rounds (each mode once a round); the ratios are the medians of the " +
    "rounds' ratios.",
    "",
    `At ×${SCALE}, a ratio has a target, what two workers on two cores ` +
    `should reach when each job is long beside a worker's start ` +
    `(${targets.join(", ")}): ✓ when it is met, ✗ when not. At the book's ` +
    "size no target is claimed: a pool costs about what it saves there " +
    "(docs/cpu.md). check: whether every run exited 0 and printed its " +
    "workers line, nothing about the targets.",
    "",
    markdownTable(head, lines),
  ].join("\n");
}
