/**
 * One measured run of the bench: a child process (a script, curl, the book's
 * Python) in a fresh folder, its peak memory, its report read back and
 * checked; and the bench's lines on standard error.
 *
 * @module
 */

import { parseTrace, type TraceLine } from "../lib/trace.ts";
import { listDir, tempDir } from "../testing/files.ts";
import { decode, killTree, type RunResult } from "../testing/process.ts";
import { parseReport, type Report } from "../testing/report.ts";

const SHM = "/dev/shm";

/** Where the runs' folders go: the tmpfs `/dev/shm` when it is there, so that every run writes its flags alike; else the system's temp folder. */
export function workdir(): string | undefined {
  try {
    return Deno.statSync(SHM).isDirectory ? SHM : undefined;
  } catch {
    return undefined;
  }
}

/** What a run is given: its folder, the Ctrl-C that kills all it started, whether to `--trace`. */
export type RunContext = { cwd: string; signal: AbortSignal; traced?: boolean };

/** A finished child, with its peak resident memory in KiB and its wall time in seconds. */
export type Measured = Omit<RunResult, "signal"> & { memoryKiB: number } & {
  seconds: number;
};

/** One run: its report, the server's peak of requests held at once, the Workers its pool created (when it says), the child's peak RSS in KiB and exit status, what does not add up, a traced run's records. */
export type Run = Report & { peak: number; workers?: number } & {
  memoryKiB: number;
  exitCode: number;
} & { problems: string[]; trace: TraceLine[] };

/** A line on standard error that stays, over the progress line if any. */
export function warn(text: string): void {
  console.error(Deno.stderr.isTerminal() ? `\r\x1b[2K${text}` : text);
}

/**
 * Runs `cmd` in `cwd` to its end, polling its peak memory (VmHWM of
 * `/proc/PID/status` only grows: the last poll is the peak).
 *
 * @throws the reason of `signal` once it is aborted, after killing the
 *   child and every process under it
 */
export async function measure(
  cmd: string[],
  { cwd, signal }: RunContext,
): Promise<Measured> {
  signal.throwIfAborted();
  const child = new Deno.Command(cmd[0], {
    ...{ args: cmd.slice(1), cwd },
    ...{ stdin: "null", stdout: "piped", stderr: "piped" },
  }).spawn();
  let memoryKiB = 0;
  const poll = () => memoryKiB = Math.max(memoryKiB, readHwm(child.pid));
  const timer = setInterval(poll, 20);
  const t0 = performance.now();
  const kill = () => killTree(child.pid);
  signal.addEventListener("abort", kill);
  try {
    const { code, stdout, stderr } = await child.output();
    const seconds = (performance.now() - t0) / 1000;
    const [out, err] = [decode(stdout), decode(stderr)];
    return { code, stdout: out, stderr: err, memoryKiB, seconds };
  } finally {
    clearInterval(timer);
    signal.removeEventListener("abort", kill);
    signal.throwIfAborted();
  }
}

/** VmHWM of a process in KiB, or 0 once it is gone. */
function readHwm(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** What does not add up in a run; `trace` and `saved` are skipped when undefined. */
export function checkRun(
  { codes, ok, notFound, errors }: Report,
  exitCode: number,
  trace?: number,
  saved?: number,
): string[] {
  const lost = codes - (ok + notFound + errors);
  return [
    exitCode !== 0 && `exit status ${exitCode}`,
    lost !== 0 && `LOST ${lost} of ${codes}`,
    trace !== undefined && trace !== codes &&
    `${trace} trace lines for ${codes} codes`,
    saved !== undefined && saved !== ok && `${saved} files saved for ${ok} OK`,
  ].filter((problem) => problem !== false);
}

/** A run that gave no numbers, only `problem`. */
export function failedRun(problem: string, out?: Measured): Run {
  const { code = NaN, memoryKiB = NaN } = out ?? {};
  const none = { elapsed: NaN, codes: NaN, concurrency: NaN, peak: NaN };
  return {
    ...{ ...none, ok: NaN, notFound: NaN, errors: NaN, exitCode: code },
    ...{ memoryKiB, problems: [problem], trace: [] },
  };
}

/** What reads a script's report from its output. */
export type ReadReport = (stdout: string, out: Measured) => Report;

/** What a run is checked against: the server's peak, the trace, the flags saved. */
type Checked = { peak?: number; trace?: TraceLine[]; saved?: number };

/** The threadpool's `-v` line: the Workers its pool created, the most downloads at once. */
const POOL_LINE =
  /^The pool created (\d+) Workers?; at most (\d+) downloads? ran at once\.$/m;

/** The run of a finished child, its report read by `read`; a child that printed none is flagged, not fatal, so that the other runs still count. */
export function runOf(
  out: Measured,
  read: (stdout: string) => Report,
  { peak = NaN, trace, saved }: Checked,
): Run {
  let report;
  try {
    report = read(out.stdout);
  } catch (exc) {
    const why = out.stderr.trim().split("\n").at(-1) || String(exc);
    return failedRun(`no report (exit status ${out.code}): ${why}`, out);
  }
  const problems = checkRun(report, out.code, trace?.length, saved);
  const pool = POOL_LINE.exec(out.stdout);
  const { code: exitCode, memoryKiB } = out;
  return {
    ...{ peak, workers: pool ? Number(pool[1]) : undefined },
    ...{ ...report, exitCode, memoryKiB, problems, trace: trace ?? [] },
  };
}

/** A run of a flags script, `cmd`, that saves its flags in `ctx.cwd/saveDir`; `peak` reads the server's. */
export async function runFlags(
  cmd: string[],
  ctx: RunContext,
  peak: () => number,
  { saveDir = "downloads", read = parseReport }: {
    saveDir?: string;
    read?: ReadReport;
  } = {},
): Promise<Run> {
  const out = await measure(cmd, ctx);
  const file = `${ctx.cwd}/trace.jsonl`;
  const trace = ctx.traced
    ? parseTrace(await Deno.readTextFile(file).catch(() => ""))
    : undefined;
  const saved = (await listDir(`${ctx.cwd}/${saveDir}`))
    .filter((name) => name.endsWith(".gif")).length;
  const checked = { peak: peak(), trace, saved };
  return runOf(out, (stdout) => read(stdout, out), checked);
}

/** Shows `what` on standard error (over the last line on a terminal), then runs `job` once in a fresh folder, removed after it. */
export async function runOnce<A, T>(
  what: string,
  ctx: Omit<RunContext, "cwd">,
  job: { run(arg: A, ctx: RunContext): Promise<T> },
  arg: A,
): Promise<T> {
  const line = Deno.stderr.isTerminal() ? `\r\x1b[2K${what}` : `${what}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(line));
  await using dir = await tempDir({ prefix: "flags2-bench-", dir: workdir() });
  return await job.run(arg, { ...ctx, cwd: dir.path });
}

/**
 * Warms up once what each item runs (`of`), leaving out, with a line, the
 * items of one whose `warmUp` returns a problem; then runs the items in
 * `repeat` rounds, each item once a round.
 *
 * @returns the items left
 */
export async function inRounds<T, K extends { label: string }>(
  items: T[],
  repeat: number,
  steps: {
    of: (item: T) => K;
    warmUp: (what: K) => Promise<string | undefined>;
    run: (item: T, r: number) => Promise<void>;
  },
): Promise<T[]> {
  const failed = new Set<K>();
  for (const what of new Set(items.map(steps.of))) {
    const problem = await steps.warmUp(what);
    if (problem) warn(`*** ${what.label} left out: ${problem}`);
    if (problem) failed.add(what);
  }
  const left = items.filter((item) => !failed.has(steps.of(item)));
  for (let r = 1; r <= repeat; r++) {
    for (const item of left) await steps.run(item, r);
  }
  return left;
}

/** The first line a program prints with `args` ("Python 3.12.3"); undefined when there is no such program. */
export function versionOf(cmd: string[]): Promise<string | undefined> {
  // output() throws at once when there is no such program.
  return Promise.resolve()
    .then(() => new Deno.Command(cmd[0], { args: cmd.slice(1) }).output())
    .then((out) => decode(out.stdout).split("\n")[0].trim(), () => undefined);
}
