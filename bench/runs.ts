/**
 * One measured run of the bench: a child process (a script, curl, the Worker
 * floor, the book's Python) from a fresh folder, its peak memory, and its
 * report read back and checked.
 *
 * @module
 */

import { parseTrace, type TraceLine } from "../lib/trace.ts";
import { isFile, listDir } from "../tools/files.ts";
import { decode, killTree, type RunResult } from "../tools/process.ts";
import { parseReport, type Report } from "../tools/report.ts";

const TIME = "/usr/bin/time";

/** How the peak memory of a child is read: `/usr/bin/time`, or polling `/proc`. */
export type MemoryMethod = "time" | "proc";

/** How every run is made: its memory method, and where its folder goes (else the system's temp folder). */
export interface Setup {
  method: MemoryMethod;
  workdir?: string;
}

/** What a run is given: its fresh folder, the Ctrl-C that kills all it started, whether to `--trace`. */
export interface RunContext extends Setup {
  cwd: string;
  signal: AbortSignal;
  traced?: boolean;
}

/** A finished child, with its peak resident memory in KiB. */
export type Measured = Omit<RunResult, "signal"> & { memoryKiB: number };

/** What one run gave, besides its report. */
export interface Run extends Report {
  /** Most requests the server held at once; for the floor, most tasks running at once. */
  peak: number;
  /** Peak resident memory of the child, KiB. */
  memoryKiB: number;
  /** The child's exit status. */
  exitCode: number;
  /** What does not add up; empty when the run is sound. */
  problems: string[];
  /** The `--trace` records of a traced run; none otherwise. */
  trace: TraceLine[];
}

/** `/usr/bin/time` when it is there (exact, nothing to poll), else polling `/proc`. */
export async function memoryMethod(): Promise<MemoryMethod> {
  return await isFile(TIME) ? "time" : "proc";
}

/** How the peak memory column was measured, for the notes above the table. */
export function describeMemory(method: MemoryMethod): string {
  const how = method === "time"
    ? "`/usr/bin/time -f %M` (the child's ru_maxrss)"
    : "VmHWM of `/proc/PID/status`, polled every 20 ms";
  return `peak RSS of the child process from ${how}; Workers are threads ` +
    "of that process, so they are included";
}

/**
 * Runs `cmd` from `ctx.cwd` to its end, measuring its peak memory.
 *
 * @param cmd the program and its arguments
 * @param ctx the folder, the memory method, and the signal that kills it all
 * @returns the child's status, outputs and peak memory
 * @throws the reason of `ctx.signal` when it was aborted
 */
export async function measure(
  cmd: string[],
  { cwd, method, signal }: RunContext,
): Promise<Measured> {
  signal.throwIfAborted();
  // /usr/bin/time writes its number beside the folder, not in it.
  const rss = `${cwd}.rss`;
  const argv = method === "time" ? [TIME, "-f", "%M", "-o", rss, ...cmd] : cmd;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // VmHWM only grows, so the last poll before the exit is the peak.
  let memoryKiB = 0;
  const poll = () => memoryKiB = Math.max(memoryKiB, readHwm(child.pid));
  const timer = method === "proc" ? setInterval(poll, 20) : undefined;
  // /usr/bin/time does not pass a signal on: kill the whole tree.
  const kill = () => killTree(child.pid);
  signal.addEventListener("abort", kill);
  try {
    const out = await child.output();
    if (method === "time") {
      // On a failure, time writes "Command exited with ..." before the number.
      const text = (await Deno.readTextFile(rss)).trim();
      memoryKiB = Number(text.split("\n").at(-1));
    }
    const [stdout, stderr] = [decode(out.stdout), decode(out.stderr)];
    return { code: out.code, stdout, stderr, memoryKiB };
  } finally {
    clearInterval(timer);
    signal.removeEventListener("abort", kill);
    await Deno.remove(rss).catch(() => {});
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
  report: Report,
  exitCode: number,
  trace?: number,
  saved?: number,
): string[] {
  const { codes, ok, notFound, errors } = report;
  const problems: string[] = [];
  if (exitCode !== 0) problems.push(`exit status ${exitCode}`);
  const lost = codes - (ok + notFound + errors);
  if (lost !== 0) problems.push(`LOST ${lost} of ${codes}`);
  if (trace !== undefined && trace !== codes) {
    problems.push(`${trace} trace lines for ${codes} codes`);
  }
  if (saved !== undefined && saved !== ok) {
    problems.push(`${saved} files saved for ${ok} OK`);
  }
  return problems;
}

/** A run that gave no numbers, only `problem`. */
export function failedRun(
  problem: string,
  { code, memoryKiB } = { code: NaN, memoryKiB: NaN },
): Run {
  return {
    ...{ elapsed: NaN, codes: NaN, concurrency: NaN, peak: NaN },
    ...{ ok: NaN, notFound: NaN, errors: NaN },
    exitCode: code,
    memoryKiB,
    problems: [problem],
    trace: [],
  };
}

/**
 * The run of a finished child, its report read by `read`. A child that
 * printed none is flagged, not fatal, so that the other runs still count.
 *
 * @param out the finished child
 * @param read reads its report, and the peak when the child counts it
 * @param checked the server's peak, the trace records and the flags saved
 * @returns the run, with its problems
 */
export function runOf(
  out: Measured,
  read: (stdout: string) => Report & { peak?: number },
  checked: { peak?: number; trace?: TraceLine[]; saved?: number },
): Run {
  let report;
  try {
    report = read(out.stdout);
  } catch (exc) {
    const why = out.stderr.trim().split("\n").at(-1) || String(exc);
    return failedRun(`no report (exit status ${out.code}): ${why}`, out);
  }
  const { peak = NaN, trace = [], saved } = checked;
  const problems = checkRun(report, out.code, checked.trace?.length, saved);
  const { code: exitCode, memoryKiB } = out;
  return { peak, ...report, exitCode, memoryKiB, problems, trace };
}

/**
 * A run of a flags script, `cmd`, that saves its flags in `ctx.cwd/saveDir`.
 *
 * @param cmd the program and its arguments
 * @param ctx how to run it; with `traced`, `cmd` writes `trace.jsonl`
 * @param peak reads the server's peak once the run is over
 * @param saveDir the folder the script saves to, in `ctx.cwd`
 * @returns the run, checked: every code counted, every OK saved
 */
export async function runFlags(
  cmd: string[],
  ctx: RunContext,
  peak: () => number,
  saveDir = "downloads",
): Promise<Run> {
  const out = await measure(cmd, ctx);
  const trace = ctx.traced
    ? parseTrace(
      await Deno.readTextFile(`${ctx.cwd}/trace.jsonl`).catch(() => ""),
    )
    : undefined;
  const names = await listDir(`${ctx.cwd}/${saveDir}`);
  const saved = names.filter((name) => name.endsWith(".gif")).length;
  return runOf(out, parseReport, { peak: peak(), trace, saved });
}
