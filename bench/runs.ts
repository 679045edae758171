/**
 * One timed run of the bench: a fresh server, a fresh working folder, a
 * script (or curl, or the Worker floor) run as a subprocess the way a
 * reader runs it, and what did not add up.
 *
 * @module
 */

import { startServer } from "../slow_server.ts";
import {
  listDir,
  LOCALHOST,
  repoPath,
  runDeno,
  runScript,
  type ScriptName,
  scriptPath,
  tempDir,
} from "../tools/harness.ts";
import { parseReport, type Report } from "../tools/report.ts";
import type { TraceLine } from "./chart.ts";
import { parseFloor } from "./floor.ts";
import { type Measured, type MemoryMethod, runMeasured } from "./memory.ts";
import { type Case, SERVERS } from "./scenarios.ts";

/** The floor the LOCAL rows are measured against. */
export const CURL = "/usr/bin/curl";
const CURL_PARALLEL = 50;
/** The floor the threadpool's DELAY rows are measured against. */
const FLOOR = repoPath("bench/floor.ts");

/** How every run is made: its memory measure, and where its working folder goes. */
export interface Setup {
  /** How the peak memory of a run is read. */
  method: MemoryMethod;
  /** Parent of the runs' temporary folders; the system's temp folder if undefined. */
  workdir?: string;
}

/** What one run of a script (or of curl, or of the floor) gave. */
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

/** The numbers of a run that printed no report. */
const NO_REPORT: Report = {
  elapsed: NaN,
  codes: NaN,
  concurrency: NaN,
  ok: NaN,
  notFound: NaN,
  errors: NaN,
};

/** Reads a `--trace` file: one JSON object per line. */
export function parseTrace(text: string): TraceLine[] {
  return text.split("\n").filter((line) => line.trim()).map((line) =>
    JSON.parse(line)
  );
}

/** What does not add up in a run; `trace` and `saved` are skipped when undefined (curl). */
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

/** `-e`: the 676 codes aa ... zz, in lower case as in the URLs. */
function everyCode(): string[] {
  const letters = [..."abcdefghijklmnopqrstuvwxyz"];
  return letters.flatMap((a) => letters.map((b) => a + b));
}

/** Number of flags the script saved in `cwd/downloads/`. */
async function countSaved(cwd: string): Promise<number> {
  const names = await listDir(`${cwd}/downloads`);
  return names.filter((name) => name.endsWith(".gif")).length;
}

/** One run of a script, the way a reader runs it, from `cwd`; with `traced`, also `--trace`. */
async function timeScript(
  script: ScriptName,
  args: string[],
  cwd: string,
  method: MemoryMethod,
  signal: AbortSignal,
  traced: boolean,
): Promise<Omit<Run, "peak">> {
  const cmd = [
    Deno.execPath(),
    "run",
    "-A",
    scriptPath(script),
    ...args,
    ...(traced ? ["--trace", "trace.jsonl"] : []),
  ];
  const out = await runMeasured(cmd, cwd, method, signal);
  const trace = traced
    ? parseTrace(await Deno.readTextFile(`${cwd}/trace.jsonl`).catch(() => ""))
    : [];
  let report: Report;
  try {
    report = parseReport(out.stdout);
  } catch (exc) {
    return crashed(out, exc, traced ? trace.length : NaN);
  }
  const traceLines = traced ? trace.length : undefined;
  const saved = await countSaved(cwd);
  const problems = checkRun(report, out.code, traceLines, saved);
  return {
    ...report,
    exitCode: out.code,
    memoryKiB: out.memoryKiB,
    problems,
    trace,
  };
}

/** A run that printed no report: flagged, not fatal, so the other runs still count. */
function crashed(
  out: Measured,
  exc: unknown,
  codes: number,
): Omit<Run, "peak"> {
  const last = out.stderr.trim().split("\n").at(-1) ?? "";
  const why = exc instanceof Error ? exc.message : String(exc);
  return {
    ...NO_REPORT,
    codes,
    exitCode: out.code,
    memoryKiB: out.memoryKiB,
    problems: [`no report (exit status ${out.code}): ${why} ${last}`],
    trace: [],
  };
}

/** One run of the Worker floor at the `-m` of `args` (the scenario's), from `cwd`. */
async function timeFloor(
  args: string[],
  cwd: string,
  method: MemoryMethod,
  signal: AbortSignal,
): Promise<Run> {
  const m = args.indexOf("-m");
  const maxReq = m >= 0 ? args.slice(m, m + 2) : [];
  const cmd = [Deno.execPath(), "run", "-A", FLOOR, ...maxReq];
  const out = await runMeasured(cmd, cwd, method, signal);
  let floor;
  try {
    floor = parseFloor(out.stdout);
  } catch (exc) {
    return { ...crashed(out, exc, NaN), peak: NaN };
  }
  // A task that did not complete is "lost", as a download would be.
  const report: Report = {
    elapsed: floor.elapsed,
    codes: floor.tasks,
    concurrency: floor.maxWorkers,
    ok: floor.done,
    notFound: 0,
    errors: 0,
  };
  return {
    ...report,
    peak: floor.peakRunning,
    exitCode: out.code,
    memoryKiB: out.memoryKiB,
    problems: checkRun(report, out.code),
    trace: [],
  };
}

/** One run of curl over the 676 URLs of `-e`, timed from here. */
async function timeCurl(
  url: string,
  cwd: string,
  method: MemoryMethod,
  signal: AbortSignal,
): Promise<Omit<Run, "peak">> {
  const codes = everyCode();
  const config = codes.map((cc) =>
    `url = "${url}/${cc}/${cc}.gif"\noutput = "/dev/null"\n`
  );
  await Deno.writeTextFile(`${cwd}/urls.conf`, config.join(""));
  const args = ["--parallel", "--parallel-max", String(CURL_PARALLEL)];
  // One status per transfer: 404s are expected, so no --fail.
  args.push("--silent", "--write-out", "%{http_code}\\n", "-K", "urls.conf");
  const t0 = performance.now();
  const out = await runMeasured([CURL, ...args], cwd, method, signal);
  const elapsed = (performance.now() - t0) / 1000;
  const statuses = out.stdout.split("\n").filter((line) => line);
  const ok = statuses.filter((s) => s === "200").length;
  const notFound = statuses.filter((s) => s === "404").length;
  const report: Report = {
    elapsed,
    codes: codes.length,
    concurrency: CURL_PARALLEL,
    ok,
    notFound,
    errors: statuses.length - ok - notFound,
  };
  const problems = checkRun(report, out.code);
  return {
    ...report,
    exitCode: out.code,
    memoryKiB: out.memoryKiB,
    problems,
    trace: [],
  };
}

/**
 * One run of a case, with a fresh server (none for the floor) and a fresh
 * working folder.
 *
 * @param c the case
 * @param setup how the memory is measured, and where the folder goes
 * @param signal aborting it kills the run; its server and folder go too
 * @param traced whether the script also writes a `--trace` file
 * @returns the numbers of the run
 * @throws the reason of `signal` when it was aborted
 */
export async function runOnce(
  c: Case,
  { method, workdir }: Setup,
  signal: AbortSignal,
  traced = false,
): Promise<Run> {
  await using dir = await tempDir({ prefix: "flags2-bench-", dir: workdir });
  if (c.script === "floor") {
    return await timeFloor(c.scenario.args, dir.path, method, signal);
  }
  await using server = await startServer({
    ...SERVERS[c.scenario.server],
    ...LOCALHOST,
  });
  const run = c.script === "curl"
    ? await timeCurl(server.url, dir.path, method, signal)
    : await timeScript(
      c.script,
      ["-s", server.url, ...c.scenario.args],
      dir.path,
      method,
      signal,
      traced,
    );
  return { ...run, peak: server.peak() };
}

/** A script that fails before the bench has timed anything. */
export class WarmUpError extends Error {
  /** The class's name, shown before the message. */
  override name = "WarmUpError";
}

/**
 * Runs each script (and the floor) once on two codes (or tasks), so that no
 * timed run pays for transpiling.
 *
 * @param scripts what the cases run; curl needs no warm-up
 * @param workdir where their working folder goes
 * @param signal aborting it stops the run under way
 * @throws {WarmUpError} when a script fails
 * @throws the reason of `signal` when it was aborted
 */
export async function warmUp(
  scripts: Case["script"][],
  workdir: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  await using server = await startServer(LOCALHOST);
  await using dir = await tempDir({ prefix: "flags2-bench-", dir: workdir });
  for (const script of new Set(scripts)) {
    if (script === "curl") continue;
    const out = script === "floor"
      ? await runDeno(FLOOR, ["-n", "2"], dir.path, signal)
      : await runScript(
        script,
        ["-s", server.url, "BR", "XX"],
        dir.path,
        signal,
      );
    signal.throwIfAborted();
    if (out.code !== 0) {
      throw new WarmUpError(`warm-up of ${script} failed:\n${out.stderr}`);
    }
  }
}
