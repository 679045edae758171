/**
 * One timed run of the bench: a fresh server, a fresh working folder, a
 * script (or curl) run as a subprocess the way a reader runs it, and what
 * did not add up.
 *
 * @module
 */

import { parseReport, type Report } from "../tools/report.ts";
import { type FlagServer, startServer } from "../slow_server.ts";
import type { TraceLine } from "./chart.ts";
import { decode, type MemoryMethod, runMeasured } from "./memory.ts";
import { type Case, SERVERS } from "./scenarios.ts";

/** The floor the LOCAL rows are measured against. */
export const CURL = "/usr/bin/curl";
const CURL_PARALLEL = 50;

/** How every run is made: its memory measure, and where its working folder goes. */
export interface Setup {
  method: MemoryMethod;
  /** Parent of the runs' temporary folders; the system's temp folder if undefined. */
  workdir?: string;
}

/** What one run of a script (or of curl) gave. */
export interface Run extends Report {
  /** Most requests the server held at once. */
  peak: number;
  /** Peak resident memory of the child, KiB. */
  memoryKiB: number;
  exitCode: number;
  /** What does not add up; empty when the run is sound. */
  problems: string[];
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

/** Path of `flags2_{script}.ts`, in the repository. */
function scriptPath(script: string): string {
  return decodeURIComponent(
    new URL(`../flags2_${script}.ts`, import.meta.url).pathname,
  );
}

/** Number of flags the script saved in `cwd/downloads/`. */
async function countSaved(cwd: string): Promise<number> {
  let count = 0;
  try {
    for await (const entry of Deno.readDir(`${cwd}/downloads`)) {
      if (entry.isFile && entry.name.endsWith(".gif")) count++;
    }
  } catch (exc) {
    if (!(exc instanceof Deno.errors.NotFound)) throw exc;
  }
  return count;
}

/** One run of a script, the way a reader runs it, from `cwd`; with `traced`, also `--trace`. */
async function runScript(
  c: Case,
  url: string,
  cwd: string,
  method: MemoryMethod,
  traced: boolean,
): Promise<Omit<Run, "peak">> {
  const cmd = [
    Deno.execPath(),
    "run",
    "-A",
    scriptPath(c.script),
    "-s",
    url,
    ...c.scenario.args,
    ...(traced ? ["--trace", "trace.jsonl"] : []),
  ];
  const out = await runMeasured(cmd, cwd, method);
  const trace = traced
    ? parseTrace(await Deno.readTextFile(`${cwd}/trace.jsonl`).catch(() => ""))
    : [];
  let report: Report;
  let problems: string[];
  try {
    report = parseReport(out.stdout);
    const traceLines = traced ? trace.length : undefined;
    problems = checkRun(report, out.code, traceLines, await countSaved(cwd));
  } catch (exc) {
    // A crashed run is flagged, not fatal: the other runs still count.
    const last = out.stderr.trim().split("\n").at(-1) ?? "";
    report = { ...NO_REPORT, codes: traced ? trace.length : NaN };
    problems = [
      `no report (exit status ${out.code}): ${(exc as Error).message} ${last}`,
    ];
  }
  return {
    ...report,
    exitCode: out.code,
    memoryKiB: out.memoryKiB,
    problems,
    trace,
  };
}

/** One run of curl over the 676 URLs of `-e`, timed from here. */
async function runCurl(
  url: string,
  cwd: string,
  method: MemoryMethod,
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
  const out = await runMeasured([CURL, ...args], cwd, method);
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

/** One run of a case, with a fresh server and a fresh working directory. */
export async function runOnce(
  c: Case,
  { method, workdir }: Setup,
  traced = false,
): Promise<Run> {
  await using server: FlagServer = await startServer({
    ...SERVERS[c.scenario.server],
    port: 0,
    hostname: "127.0.0.1",
    quiet: true,
  });
  const cwd = await Deno.makeTempDir({ dir: workdir, prefix: "flags2-bench-" });
  try {
    const run = c.script === "curl"
      ? await runCurl(server.url, cwd, method)
      : await runScript(c, server.url, cwd, method, traced);
    return { ...run, peak: server.peak() };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

/** Runs each script once on two codes, so that no timed run pays for transpiling. */
export async function warmUp(scripts: string[]): Promise<void> {
  await using server = await startServer({
    port: 0,
    hostname: "127.0.0.1",
    quiet: true,
  });
  const cwd = await Deno.makeTempDir({ prefix: "flags2-bench-" });
  try {
    for (const script of scripts) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", scriptPath(script), "-s", server.url, "BR", "XX"],
        cwd,
        stdin: "null",
      }).output();
      if (!out.success) {
        throw new Error(`warm-up of ${script} failed:\n${decode(out.stderr)}`);
      }
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}
