/**
 * The bench's `futures` scenario, "futures.ts beside concurrent.futures":
 * each program of `testing/futures_programs.ts` on Workers, and the same
 * program on CPython's threads (`futures_programs.py` beside this file),
 * one after the other in rounds, after a warm-up run of each; a row per
 * program with both figures, their ratio, and the target it is held to.
 *
 * @module
 */

import { repoPath } from "../testing/files.ts";
import { denoArgv } from "../testing/process.ts";
import type { Result } from "../testing/futures_programs.ts";
import { checkCell, markdownTable, median } from "./page.ts";
import { inRounds, measure, type RunContext, runOnce } from "./runs.ts";

/** What a row reads from a program's line: a figure (ms, or × an ideal), and what is wrong with the run. */
type Reading = { figure: number; wrong?: string };

/**
 * A row: the program, in the words of issue 25's table; how to read its
 * line; what it is compared with (CPython's same program, or another of
 * ours); and the most that ratio may be (none for a row whose target is
 * what it does, which `read` checks).
 */
export type FuturesRow = {
  program: string;
  label: string;
  read(result: Result): Reading;
  beside: { python: true } | { ours: string } | { limitMs: number };
  max?: number;
};

/** The rows, in the order of issue 25's table. */
export const FUTURES_ROWS: FuturesRow[] = [
  {
    program: "strand",
    label: "maxWorkers 8, warm: one call awaits 20 ms then computes 2 s; " +
      "20 calls each await 200 ms: when the 20th ends",
    read: (r) => ({
      figure: (r.ends as number[])[19],
      wrong: r.napsBesideLong ? `${r.napsBesideLong} rode beside it` : "",
    }),
    beside: { python: true },
    max: 1.25,
  },
  {
    program: "spin",
    label: "3 calls await 200 ms; beside them one awaits 20 ms then loops " +
      "forever; 8 more await 10 ms: when the 11 have ended",
    read: (r) => ({
      figure: r.ms as number,
      wrong: r.ended === 11 ? "" : `${r.ended} of 11 ended`,
    }),
    beside: { python: true },
  },
  ...(["timer", "rejection", "exit"] as const).map((kind) => ({
    program: `stray-${kind}`,
    label: `31 calls await 500 ms; beside them one ${
      {
        timer: "throws from a timer",
        rejection: "leaves an unhandled rejection",
        exit: "calls Deno.exit(3) (Python: sys.exit(3))",
      }[kind]
    } after awaiting: how many of the 31 succeed`,
    read: (r: Result) => ({
      figure: r.ok as number,
      wrong: r.after === "after" ? "" : "the pool did not go on",
    }),
    beside: { python: true } as const,
  })),
  {
    program: "first-part",
    label: "maxWorkers 4: one async call computes 1 s before it awaits, then " +
      "4 plain calls compute 300 ms each: when the 4 have ended (beside: " +
      "the same with a plain first call)",
    read: (r) => ({
      figure: r.ms as number,
      wrong: r.besideFirst ? `${r.besideFirst} ran beside the first` : "",
    }),
    beside: { ours: "first-part-plain" },
    max: 1.25,
  },
  {
    program: "compute-after-await",
    label: "maxWorkers 4: 8 calls await 10 ms then compute 187 ms: × the " +
      "2-core ideal",
    read: (r) => ({ figure: (r.ms as number) / (r.ideal as number) }),
    beside: { python: true },
    max: 1,
  },
  ...(["50MB", "8x50MB"] as const).map((size) => ({
    program: "buffers",
    label: size === "50MB"
      ? "a Uint8Array argument of 50 MB: ms to cross and back"
      : "8 arguments of 50 MB at once",
    read: (r: Result) => ({
      figure: r[size] as number,
      wrong: r.intact ? "" : "bytes changed",
    }),
    beside: { limitMs: size === "50MB" ? 500 : 3000 },
  })),
  {
    program: "trivial",
    label: "maxWorkers 4: 10,000 calls of a trivial function",
    read: (r) => ({ figure: r.ms as number, wrong: inOrder(r) }),
    beside: { python: true },
    max: 3,
  },
  {
    program: "map",
    label: "map over 10,000 items (default maxWorkers)",
    read: (r) => ({ figure: r.ms as number, wrong: inOrder(r) }),
    beside: { python: true },
    max: 3,
  },
  {
    program: "await10",
    label: "maxWorkers 100: 10,000 calls that await 10 ms",
    read: (r) => ({
      figure: r.ms as number,
      wrong: r.peak === 100 ? "" : `${r.peak} at once`,
    }),
    beside: { python: true },
    max: 1.2,
  },
];

function inOrder(r: Result): string {
  return r.inOrder ? "" : "results out of order";
}

/** One run of a program: its line, and its peak RSS in MiB; or what went wrong. */
type ProgramRun = { result: Result; mib: number } | { problem: string };

/** Runs `command`, a program that prints one JSON line. */
async function runProgram(
  command: string[],
  ctx: RunContext,
): Promise<ProgramRun> {
  const out = await measure(command, ctx);
  try {
    if (out.code !== 0) throw new Error(`exit status ${out.code}`);
    return { result: JSON.parse(out.stdout), mib: out.memoryKiB / 1024 };
  } catch (exc) {
    const last = out.stderr.trim().split("\n").at(-1) ?? "";
    return { problem: `${(exc as Error).message} ${last}`.trim() };
  }
}

/** The command of `program`, ours or CPython's twin. */
function commandOf(program: string, python?: string): string[] {
  if (python) {
    return [python, repoPath("bench/futures_programs.py"), program];
  }
  const file = repoPath("testing/futures_programs.ts");
  return denoArgv(["run", file, program], ["-A"]);
}

/** A row of the table, and of the JSON: what `runFutures` makes. */
export type FuturesResult = Awaited<ReturnType<typeof runFutures>>[number];

/**
 * Runs each program of `rows` and what it is compared with, one after the
 * other, `repeat` times in rounds (a program whose line is shared by two
 * rows, `buffers`, runs once a round for both).
 *
 * @param python CPython's command, or undefined when it is missing: the
 *   rows compared with it then have no ratio.
 * @returns per row: our figures and theirs (NaN for a failed run), the
 *   medians, the median of the rounds' ratios, peak memory, what went wrong
 * @throws the reason of `signal` when it was aborted
 */
export async function runFutures(
  rows: FuturesRow[],
  repeat: number,
  python: string | undefined,
  signal: AbortSignal,
) {
  const commands = new Map<string, string[]>();
  for (const row of rows) {
    commands.set(row.program, commandOf(row.program));
    if ("ours" in row.beside) {
      commands.set(row.beside.ours, commandOf(row.beside.ours));
    }
    if ("python" in row.beside && python) {
      commands.set(`py:${row.program}`, commandOf(row.program, python));
    }
  }
  const lines = new Map<string, ProgramRun[]>();
  const job = {
    run: (command: string[], ctx: RunContext) => runProgram(command, ctx),
  };
  const labels = new Map(
    [...commands.keys()].map((key) => [key, { label: key }]),
  );
  const once = (key: string, what: string) =>
    runOnce(`futures: ${key} ${what}`, { signal }, job, commands.get(key)!);
  await inRounds([...commands.keys()], repeat, {
    of: (key) => labels.get(key)!,
    async warmUp({ label: key }) { // no timed run pays for transpiling
      const run = await once(key, "warm-up");
      return "problem" in run ? run.problem : undefined;
    },
    async run(key, r) {
      lines.set(key, [...lines.get(key) ?? [], await once(key, `run ${r}`)]);
    },
  });
  return rows.map((row) => summarizeRow(row, lines, python));
}

/** The figures of `row` from the runs of its programs. */
function summarizeRow(
  row: FuturesRow,
  lines: Map<string, ProgramRun[]>,
  python: string | undefined,
) {
  const problems: string[] = [];
  // What ours did is checked; CPython's line is read for its figure only.
  const figures = (key: string, checked = false) =>
    (lines.get(key) ?? []).map((run) => {
      if ("problem" in run) return problems.push(run.problem), NaN;
      const { figure, wrong } = row.read(run.result);
      if (wrong && checked) problems.push(wrong);
      return figure;
    });
  const mib = (key: string) =>
    median((lines.get(key) ?? []).map((run) => "mib" in run ? run.mib : NaN));
  const ours = figures(row.program, true);
  const besideKey = "ours" in row.beside
    ? row.beside.ours
    : "python" in row.beside && python
    ? `py:${row.program}`
    : undefined;
  const theirs = besideKey ? figures(besideKey) : [];
  const ratios = theirs.map((t, r) => ours[r] / t);
  return {
    program: row.program,
    label: row.label,
    ours,
    theirs,
    median: median(ours),
    besideMedian: median(theirs),
    ratio: median(ratios),
    mib: { ours: mib(row.program), theirs: besideKey ? mib(besideKey) : NaN },
    problems: [...new Set(problems)],
  };
}

/** The Markdown of the table, with the lines above it that say how to read it. */
export function futuresTable(results: FuturesResult[], repeat: number): string {
  const byProgram = new Map(FUTURES_ROWS.map((row) => [row.label, row]));
  const lines = results.map((result) => {
    const row = byProgram.get(result.label)!;
    const unit = result.program === "compute-after-await" ? "× ideal" : "";
    const show = (x: number) =>
      Number.isNaN(x)
        ? ""
        : unit
        ? `${x.toFixed(2)} ${unit}`
        : result.program.startsWith("stray")
        ? `${x} of 31`
        : `${Math.round(x)} ms`;
    let target = "what it does (check)";
    let ratio = Number.isNaN(result.ratio) ? "" : result.ratio.toFixed(2);
    if ("limitMs" in row.beside) {
      const ok = result.median <= row.beside.limitMs;
      target = `≤ ${row.beside.limitMs} ms`;
      ratio = Number.isNaN(result.median) ? "" : ok ? "✓" : "✗";
    } else if (row.max !== undefined && ratio) {
      target = `≤ ${row.max.toFixed(2)}`;
      ratio += result.ratio <= row.max ? " ✓" : " ✗";
    }
    const beside = "ours" in row.beside
      ? `${show(result.besideMedian)} (plain first)`
      : show(result.besideMedian);
    return [
      result.label,
      beside || "n/a",
      show(result.median),
      ratio,
      target,
      checkCell(result.problems),
    ];
  });
  const head = ["program", "CPython 3 threads", "futures.ts Workers"];
  head.push("ratio", "target", "check");
  const memory = results.find((r) => r.program === "await10")?.mib;
  return [
    `Median of ${repeat} run(s) of each program, ours and CPython's in turn ` +
    "(`testing/futures_programs.ts`, `bench/futures_programs.py`); the " +
    "ratio is ours over the other, the median of the rounds' ratios. Each " +
    "program times itself, from before its first call; a ✓ or ✗ says " +
    "whether the ratio meets the row's target. check: what the program " +
    "did, as `futures/pool_test.ts` asserts it (ok, or what went wrong).",
    ...memory && !Number.isNaN(memory.ours)
      ? [
        "",
        `Peak memory of the 10,000 calls that await: ${
          Math.round(memory.ours)
        } MiB (CPython: ${Math.round(memory.theirs)} MiB).`,
      ]
      : [],
    "",
    markdownTable(head, lines),
  ].join("\n");
}
