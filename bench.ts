/**
 * `deno task bench`: times the three flag downloaders against in-process
 * LOCAL, DELAY and ERROR servers, as a reader would run them, and prints a
 * Markdown table ready for README.md; writes the results as JSON and a chart
 * of downloads completed over time as SVG.
 *
 * ```sh
 * deno task bench                            # every scenario, 3 runs each
 * deno task bench --quick                    # 1 run of a subset
 * deno task bench --scenario delay-m30 --repeat 5
 * ```
 *
 * Each run gets a fresh server (its peak of requests held at once counts
 * from its start) and a fresh temporary working directory (on the tmpfs
 * `/dev/shm` when there is one, see `--workdir`), where the script writes
 * `downloads/`. The timed runs are plain, and go in rounds: each
 * script of a scenario once a round. One more run of each script, with
 * `--trace`, draws its line of the chart and is checked like the others.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { parseReport, type Report } from "./tools/report.ts";
import {
  type FlagServer,
  type ServerOptions,
  startServer,
} from "./slow_server.ts";
import {
  type ChartPanel,
  completionCurve,
  renderChart,
  type TraceLine,
} from "./bench_chart.ts";

/** The servers of the book, as `startServer` options; ERROR is seeded so runs replay. */
const SERVERS: Readonly<Record<ServerLabel, ServerOptions>> = {
  LOCAL: {},
  DELAY: { delay: 0.5 },
  ERROR: { delay: 0.5, delayRate: 0.5, errorRate: 0.25, seed: 2024 },
};
type ServerLabel = "LOCAL" | "DELAY" | "ERROR";

/** Seconds every DELAY response waits: the unit of the ideal time. */
const DELAY_SECONDS = 0.5;

/** A command line to time, against one kind of server, for some scripts. */
export interface Scenario {
  /** Name for `--scenario`. */
  id: string;
  server: ServerLabel;
  args: string[];
  scripts: string[];
  /** The scripts still run by `--quick`. */
  quick: string[];
}

const ALL_SCRIPTS = ["sequential", "threadpool", "asyncio"];
const POOLS = ["threadpool", "asyncio"];

/** What the bench runs, in order. */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: "local",
    server: "LOCAL",
    args: ["-e"],
    scripts: ALL_SCRIPTS,
    quick: ALL_SCRIPTS,
  },
  {
    id: "delay-m30",
    server: "DELAY",
    args: ["-e", "-m", "30"],
    scripts: POOLS,
    quick: [],
  },
  {
    id: "delay-m1000",
    server: "DELAY",
    args: ["-e", "-m", "1000"],
    scripts: POOLS,
    quick: POOLS,
  },
  {
    id: "delay-b",
    server: "DELAY",
    args: ["B"],
    scripts: ["sequential"],
    quick: ["sequential"],
  },
  {
    id: "error",
    server: "ERROR",
    args: ["-e"],
    scripts: ALL_SCRIPTS,
    // Sequential and asyncio (5 at a time) take minutes against ERROR.
    quick: ["threadpool"],
  },
];

/** The floor the LOCAL rows are measured against. */
const CURL = "/usr/bin/curl";
const CURL_PARALLEL = 50;
const TIME = "/usr/bin/time";
/** A tmpfs on most Linux machines: where the runs work when it is there. */
const SHM = "/dev/shm";

/** How the peak memory of a child is read. */
type MemoryMethod = "time" | "proc";

/** How every run is made: its memory measure, and where its working folder goes. */
interface Setup {
  method: MemoryMethod;
  /** Parent of the runs' temporary folders; the system's temp folder if undefined. */
  workdir?: string;
}

/** One scenario and one script: a row of the table. */
interface Case {
  scenario: Scenario;
  script: string;
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

/** A row of the table: a case and its runs. */
export interface Row {
  scenario: string;
  script: string;
  codes: number;
  concurrency: number;
  median: number;
  min: number;
  max: number;
  ideal?: number;
  ratioIdeal?: number;
  ratioCurl?: number;
  peak: number[];
  memoryMiB: number;
  problems: string[];
  runs: Omit<Run, "trace">[];
  /** Elapsed time of the run with `--trace` that the chart draws; not in the median. */
  tracedElapsed?: number;
}

/** The options of the command line. */
interface Options {
  scenario: string[];
  repeat?: number;
  quick?: boolean;
  json: string;
  svg: string;
  memory?: MemoryMethod;
  workdir?: string;
}

// ------------------------------------------------------------- pure helpers

/** The median of `values`: the middle one, or the mean of the two middle ones. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Best possible time when every response takes `delay` s: full rounds of `concurrency` requests. */
export function ideal(
  codes: number,
  concurrency: number,
  delay: number,
): number {
  return Math.ceil(codes / concurrency) * delay;
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

// ---------------------------------------------------------------- children

/** A finished child: its exit status, output and peak memory. */
interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  memoryKiB: number;
}

/** `/usr/bin/time` when it is there (exact, nothing to poll), else polling `/proc`. */
async function memoryMethod(): Promise<MemoryMethod> {
  const found = await Deno.stat(TIME).then((s) => s.isFile, () => false);
  return found ? "time" : "proc";
}

/** How the peak memory column was measured, for the notes above the table. */
function describeMemory(method: MemoryMethod): string {
  const how = method === "time"
    ? "`/usr/bin/time -f %M` (the child's ru_maxrss)"
    : "VmHWM of `/proc/PID/status`, polled every 20 ms";
  return `peak RSS of the child process from ${how}; Workers are threads ` +
    "of that process, so they are included";
}

/**
 * `/dev/shm` when it is there. On this project's VM, back-to-back runs slow
 * each other's writes to disk: 194 flags took about 10 ms to create on a quiet
 * disk, 40-70 ms during a bench. On a tmpfs every run writes alike.
 */
async function defaultWorkdir(): Promise<string | undefined> {
  return await isFolder(SHM) ? SHM : undefined;
}

/** Whether `path` is a folder. */
function isFolder(path: string): Promise<boolean> {
  return Deno.stat(path).then((s) => s.isDirectory, () => false);
}

/** Runs `cmd` in `cwd`, measuring its peak memory with `method`. */
async function runMeasured(
  cmd: string[],
  cwd: string,
  method: MemoryMethod,
): Promise<Measured> {
  return method === "time"
    ? await runUnderTime(cmd, cwd)
    : await runPolling(cmd, cwd);
}

/** Runs `cmd` under `/usr/bin/time -f %M`, which reports ru_maxrss in KiB. */
async function runUnderTime(cmd: string[], cwd: string): Promise<Measured> {
  const memFile = await Deno.makeTempFile({ prefix: "bench-rss-" });
  try {
    const out = await new Deno.Command(TIME, {
      args: ["-f", "%M", "-o", memFile, ...cmd],
      cwd,
      stdin: "null",
    }).output();
    // On a failure, time writes "Command exited with ..." before the number.
    const text = (await Deno.readTextFile(memFile)).trim();
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
      memoryKiB: Number(text.split("\n").at(-1)),
    };
  } finally {
    await Deno.remove(memFile);
  }
}

/** Runs `cmd`, polling the kernel's high-water mark of its resident memory. */
async function runPolling(cmd: string[], cwd: string): Promise<Measured> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // VmHWM only grows, so the last poll before the exit is the peak.
  let memoryKiB = 0;
  const poll = () => memoryKiB = Math.max(memoryKiB, readHwm(child.pid));
  const timer = setInterval(poll, 20);
  poll();
  try {
    const out = await child.output();
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
      memoryKiB,
    };
  } finally {
    clearInterval(timer);
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

/** UTF-8 bytes to text. */
function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Path of `flags2_{script}.ts`, beside this file. */
function scriptPath(script: string): string {
  return decodeURIComponent(
    new URL(`./flags2_${script}.ts`, import.meta.url).pathname,
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
async function runOnce(
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
async function warmUp(scripts: string[]): Promise<void> {
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

// ------------------------------------------------------------- the bench

/** The scenario's command line as the table shows it: "DELAY -e -m 30". */
function scenarioLabel(scenario: Scenario): string {
  return [scenario.server, ...scenario.args].join(" ");
}

/** A case as the progress line and the warnings show it. */
function label(c: Case): string {
  return `${scenarioLabel(c.scenario)} ${c.script}`;
}

/** The scenarios that `--scenario` names: an id, or a server label for all of its scenarios. */
export function pickScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return SCENARIOS.filter((s) =>
    wanted.has(s.id) || wanted.has(s.server.toLowerCase())
  );
}

/** The rows to run: curl joins LOCAL when it is installed. */
function planCases(
  scenarios: Scenario[],
  quick: boolean,
  curl: boolean,
): Case[] {
  return scenarios.flatMap((scenario) => {
    const scripts = quick ? scenario.quick : scenario.scripts;
    const withCurl = curl && scenario.server === "LOCAL" ? ["curl"] : [];
    return [...withCurl, ...scripts].map((script) => ({ scenario, script }));
  });
}

/** A line on standard error saying where the bench is. */
function progress(text: string): void {
  const line = Deno.stderr.isTerminal() ? `\r\x1b[2K${text}` : `${text}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(line));
}

/** A line on standard error that stays, over the progress line if any. */
function warn(text: string): void {
  console.error(Deno.stderr.isTerminal() ? `\r\x1b[2K${text}` : text);
}

/** Runs a case once, showing `what` as progress and warning of its problems. */
async function runReported(
  c: Case,
  setup: Setup,
  what: string,
  traced = false,
): Promise<Run> {
  progress(what);
  const run = await runOnce(c, setup, traced);
  for (const problem of run.problems) warn(`*** ${what}: ${problem}`);
  return run;
}

/** Makes a row of the table out of a case's runs. */
function summarize(c: Case, runs: Run[], traced?: Run): Row {
  const times = runs.map((run) => run.elapsed);
  const { codes, concurrency } = runs[0];
  const idealTime = c.scenario.server === "DELAY"
    ? ideal(codes, concurrency, DELAY_SECONDS)
    : undefined;
  const mid = median(times);
  return {
    scenario: scenarioLabel(c.scenario),
    script: c.script,
    codes,
    concurrency,
    median: mid,
    min: Math.min(...times),
    max: Math.max(...times),
    ideal: idealTime,
    ratioIdeal: idealTime ? mid / idealTime : undefined,
    peak: runs.map((run) => run.peak),
    memoryMiB: median(runs.map((run) => run.memoryKiB)) / 1024,
    problems: [
      ...runs.flatMap((run, i) =>
        run.problems.map((p) => `run ${i + 1}: ${p}`)
      ),
      ...(traced?.problems ?? []).map((p) => `traced run: ${p}`),
    ],
    runs: runs.map(({ trace: _, ...rest }) => rest),
    tracedElapsed: traced?.elapsed,
  };
}

/** Fills in the ratio to the curl floor of the LOCAL rows. */
function addCurlRatios(rows: Row[]): void {
  const floor = rows.find((row) => row.script === "curl")?.median;
  if (!floor) return;
  for (const row of rows) {
    if (row.scenario.startsWith("LOCAL")) row.ratioCurl = row.median / floor;
  }
}

/** `a–b`, or `a` when both are the same. */
function range(values: number[], digits = 0): string {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi
    ? lo.toFixed(digits)
    : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
}

/** The Markdown table of the rows. */
export function markdownTable(rows: Row[]): string {
  const head = [
    "scenario",
    "script",
    "codes",
    "concurrency",
    "median s",
    "min–max s",
    "ideal s",
    "× ideal",
    "× curl",
    "server peak",
    "peak RSS MiB",
    "check",
  ];
  const ratio = (value?: number) => value ? value.toFixed(2) : "";
  const lines = rows.map((row) => [
    row.scenario,
    row.script,
    String(row.codes),
    String(row.concurrency),
    row.median.toFixed(2),
    range([row.min, row.max], 2),
    row.ideal?.toFixed(1) ?? "",
    ratio(row.ratioIdeal),
    ratio(row.ratioCurl),
    range(row.peak),
    row.memoryMiB.toFixed(0),
    row.problems.length ? `**${row.problems.join("; ")}**` : "ok",
  ]);
  const align = head.map((_, i) =>
    i < 2 || i === head.length - 1 ? "---" : "--:"
  );
  return [head, align, ...lines].map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
}

/** The machine the numbers come from. */
async function machine(): Promise<Record<string, string | number>> {
  const { total } = Deno.systemMemoryInfo();
  const curl = await new Deno.Command(CURL, { args: ["--version"] }).output()
    .then((out) => decode(out.stdout).split(" ").slice(0, 2).join(" "))
    .catch(() => "none");
  return {
    cores: navigator.hardwareConcurrency,
    memoryGiB: Number((total / 2 ** 30).toFixed(1)),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    curl,
  };
}

/** The lines above the table: date, machine, how things were measured. */
function preamble(
  date: Date,
  info: Record<string, string | number>,
  repeat: number,
  { method, workdir }: Setup,
): string {
  const when = date.toISOString().slice(0, 16).replace("T", " ");
  return [
    `### flags2 benchmark, ${when} UTC`,
    "",
    `Machine: ${info.cores} cores, ${info.memoryGiB} GiB of memory, ` +
    `${info.os}; Deno ${info.deno}, ${info.curl}.`,
    `${repeat} run(s) per row, without \`--trace\`; one more run with it ` +
    "draws the chart and is checked too. Time: the `Elapsed time` the " +
    "script prints (curl: the whole process, timed by the bench); ideal: " +
    `ceil(codes / concurrency) × ${DELAY_SECONDS} s. Server peak: most ` +
    "requests the server held at once. Memory: " + describeMemory(method) +
    `. Working folders in ${workdir ?? "the system's temp folder"}.`,
    "",
  ].join("\n");
}

/** The chart's panels: per scenario, the traced run of each script. */
function chartPanels(
  rows: Row[],
  cases: Case[],
  traced: (Run | undefined)[],
): ChartPanel[] {
  const panels = new Map<string, ChartPanel>();
  cases.forEach((c, i) => {
    const row = rows[i];
    const panel = panels.get(row.scenario) ??
      { title: row.scenario, subtitle: "", series: [], rules: [] };
    panels.set(row.scenario, panel);
    if (c.script === "curl") {
      panel.rules.push({
        t: row.median,
        label: `curl ${fmtSeconds(row.median)}`,
      });
      return;
    }
    const trace = traced[i]?.trace ?? [];
    panel.series.push({ script: c.script, points: completionCurve(trace) });
    if (row.ideal && !panel.rules.some((rule) => rule.t === row.ideal)) {
      panel.rules.push({
        t: row.ideal,
        label: `ideal ${fmtSeconds(row.ideal)}`,
      });
    }
  });
  for (const panel of panels.values()) panel.subtitle = subtitle(panel, rows);
  return [...panels.values()];
}

/** "concurrent requests: sequential 1, threadpool 30 · 676 codes". */
function subtitle(panel: ChartPanel, rows: Row[]): string {
  const mine = rows.filter((row) =>
    row.scenario === panel.title && row.script !== "curl"
  );
  const concurrency = mine.map((row) => `${row.script} ${row.concurrency}`);
  return `${mine[0]?.codes} codes · concurrent requests: ` +
    concurrency.join(", ") + " · dot: last one";
}

/** Seconds for a label: "0.14 s", "13 s". */
function fmtSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(2))} s`;
}

/** Writes `text` to `path`, making its folder first. */
async function writeOut(path: string, text: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** Parses the command line. */
function parseOptions(args: string[]): Options {
  const positive = (text: string) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1) {
      throw new InvalidArgumentError("must be an integer >= 1");
    }
    return n;
  };
  const names = SCENARIOS.map((s) => s.id).join(", ");
  return new Command()
    .name("bench.ts")
    .description("Time the three flag downloaders against LOCAL, DELAY, ERROR.")
    .option(
      "--scenario <NAME>",
      `run only this scenario (repeatable): ${names}, or local, delay, error`,
      (name: string, names: string[]) => [...names, name],
      [],
    )
    .option("--repeat <N>", "runs per row (default 3)", positive)
    .option("--quick", "one run of a quick subset")
    .addOption(
      new Option(
        "--memory <METHOD>",
        "peak memory from /usr/bin/time (time) or polled VmHWM (proc)",
      )
        .choices(["time", "proc"]),
    )
    .option(
      "--workdir <DIR>",
      `where the runs' temporary folders go (default: ${SHM} if there, ` +
        "else the system's temp folder)",
    )
    .option("--json <FILE>", "results as JSON", "bench-results/bench.json")
    .option("--svg <FILE>", "chart as SVG", "bench-results/bench.svg")
    .parse(args, { from: "user" })
    .opts<Options>();
}

/** Runs the bench. */
async function main(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const scenarios = pickScenarios(options.scenario);
  if (scenarios.length === 0) {
    console.error(`*** No scenario named ${options.scenario.join(", ")}`);
    Deno.exit(2);
  }
  if (options.workdir && !(await isFolder(options.workdir))) {
    console.error(`*** --workdir ${options.workdir}: no such folder`);
    Deno.exit(2);
  }
  // --quick picks its subset only when no scenario is named.
  const quick = (options.quick ?? false) && options.scenario.length === 0;
  const repeat = options.repeat ?? (options.quick ? 1 : 3);
  const curl = await Deno.stat(CURL).then((s) => s.isFile, () => false);
  const cases = planCases(scenarios, quick, curl);
  const setup: Setup = {
    method: options.memory ?? await memoryMethod(),
    workdir: options.workdir ?? await defaultWorkdir(),
  };
  const date = new Date();

  const scripts = [...new Set(cases.map((c) => c.script))];
  progress("warming up: one short run of each script");
  await warmUp(scripts.filter((s) => s !== "curl"));
  const results: Run[][] = cases.map(() => []);
  // In rounds: each case of a scenario once a round, so that a slow spell of
  // the machine weighs on all of them alike and their ratios hold.
  for (const scenario of scenarios) {
    const mine = [...cases.keys()].filter((i) =>
      cases[i].scenario === scenario
    );
    for (let r = 1; r <= repeat; r++) {
      for (const i of mine) {
        const what = `[${i + 1}/${cases.length}] ${label(cases[i])} run ${r}`;
        results[i].push(await runReported(cases[i], setup, what));
      }
    }
  }
  const traced: (Run | undefined)[] = [];
  for (const [i, c] of cases.entries()) {
    const what = `[${i + 1}/${cases.length}] ${label(c)} traced run`;
    traced.push(
      c.script === "curl" ? undefined : await runReported(c, setup, what, true),
    );
  }
  warn("all runs done");

  const rows = cases.map((c, i) => summarize(c, results[i], traced[i]));
  addCurlRatios(rows);
  const info = await machine();
  console.log(preamble(date, info, repeat, setup));
  console.log(markdownTable(rows));

  await writeOut(
    options.json,
    JSON.stringify(
      {
        date: date.toISOString(),
        machine: info,
        repeat,
        memory: describeMemory(setup.method),
        workdir: setup.workdir ?? null,
        rows,
      },
      null,
      2,
    ) + "\n",
  );
  const title = "flags2: downloads completed over time (traced runs), " +
    date.toISOString().slice(0, 10);
  await writeOut(
    options.svg,
    renderChart(title, chartPanels(rows, cases, traced)),
  );
  console.error(`\nResults: ${options.json}\nChart:   ${options.svg}`);
  const bad = rows.filter((row) => row.problems.length);
  if (bad.length) {
    console.error(`*** ${bad.length} row(s) did not add up: see "check".`);
    Deno.exit(1);
  }
}

if (import.meta.main) {
  await main(Deno.args);
}
