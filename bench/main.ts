/**
 * `deno task bench`: times the three flag downloaders against in-process
 * LOCAL, DELAY and ERROR servers, as a reader would run them, beside their
 * baselines (curl, the Worker floor, with `--book` the book's own scripts),
 * and the CPU-bound scripts; prints Markdown tables ready for README.md,
 * writes the results as JSON and a chart of downloads over time as SVG.
 *
 * ```sh
 * deno task bench                            # every scenario, 3 runs each
 * deno task bench --quick                    # 1 run of a subset
 * deno task bench --scenario delay-m30 --repeat 5
 * deno task bench --book ../example-code/17-futures/countries
 * ```
 *
 * Each run gets a fresh server (its peak of requests held at once counts
 * from its start) and a fresh working folder, on the tmpfs `/dev/shm` when
 * there is one, so that every run writes its flags alike. The timed runs
 * are plain, and go in rounds: each row of a scenario once a round, so that
 * a slow spell of the machine weighs on all of them alike. One more run of
 * each script, with `--trace`, draws its line of the chart.
 *
 * Ctrl-C stops the run under way (its script and every process that script
 * started), its server and its folder, and exits with status 130.
 *
 * @module
 */

import {
  argumentParser,
  choice,
  parseOrExit,
  positiveInteger,
} from "../lib/cli.ts";
import { listenForCtrlC } from "../lib/interrupt.ts";
import { isFile, isFolder, tempDir } from "../tools/files.ts";
import { type Book, loadBook } from "./book.ts";
import { chartPanels, renderChart } from "./chart.ts";
import { CPU_SCRIPTS, type CpuRow, cpuTable, runCpu, SCALE } from "./cpu.ts";
import {
  describeMemory,
  type MemoryMethod,
  memoryMethod,
  type Run,
  type Setup,
} from "./runs.ts";
import {
  type Case,
  CURL,
  CURL_PATH,
  FLOOR,
  isBaseline,
  label,
  pickScenarios,
  planCases,
  type Runner,
  type Scenario,
  SCENARIOS,
  WARM_UP,
} from "./scenarios.ts";
import { flagsTable, machine, preamble, summarize } from "./table.ts";

/** A tmpfs on most Linux machines: where the runs work when it is there. */
const SHM = "/dev/shm";

/** The options of the command line. */
interface Options {
  scenario: string[];
  repeat?: number;
  quick?: boolean;
  json: string;
  svg: string;
  memory?: MemoryMethod;
  workdir?: string;
  book?: string;
  python: string;
}

/** Parses the command line as the scripts do; a usage error exits 2. */
async function parseOptions(args: string[]): Promise<Options> {
  const names = SCENARIOS.map((s) => s.id);
  const scenario = choice(...new Set([...names, "delay", "error", "cpu"]));
  const program = (await argumentParser("bench/main.ts"))
    .usage(
      "[-h] [--scenario NAME] [--repeat N] [--quick] [--memory METHOD] " +
        "[--workdir DIR] [--book DIR] [--python PATH] [--json FILE] [--svg FILE]",
    )
    .description("Time the three flag downloaders against LOCAL, DELAY, ERROR.")
    .option(
      "--scenario <NAME>",
      `run only this scenario (repeatable): ${names.join(", ")}, or local, ` +
        "delay, error, or cpu",
      (
        name: string,
        names: string[],
      ) => [...names, scenario(name.toLowerCase())],
      [],
    )
    .option("--repeat <N>", "runs per row (default 3)", positiveInteger)
    .option("--quick", "one run of a quick subset")
    .option(
      "--memory <METHOD>",
      "peak memory from /usr/bin/time (time) or polled VmHWM (proc)",
      choice("time", "proc"),
    )
    .option(
      "--workdir <DIR>",
      `where the runs' temporary folders go (default: ${SHM} if there, ` +
        "else the system's temp folder)",
    )
    .option(
      "--book <DIR>",
      "also run the book's scripts of DIR, 17-futures/countries or " +
        "20-executors/getflags of a checkout, and its CPU scripts beside it " +
        "(binds the edition's fixed ports while they run)",
    )
    .option("--python <PATH>", "the Python of --book", "python3")
    .option("--json <FILE>", "results as JSON", "bench-results/bench.json")
    .option("--svg <FILE>", "chart as SVG", "bench-results/bench.svg");
  return parseOrExit<Options>(program, args);
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

/** A script of ours that fails before the bench has timed anything. */
export class WarmUpError extends Error {
  /** The class's name, shown before the message. */
  override name = "WarmUpError";
}

/** How the runs are made, and the Ctrl-C that stops them. */
type Bench = Setup & { signal: AbortSignal };

/** Runs `scenario` with `runner` once, from a fresh folder; shows `what`. */
async function runOnce(
  what: string,
  scenario: Scenario,
  runner: Runner,
  bench: Bench,
  traced = false,
): Promise<Run> {
  progress(what);
  await using dir = await tempDir({
    prefix: "flags2-bench-",
    dir: bench.workdir,
  });
  return await runner.run(scenario, { ...bench, cwd: dir.path, traced });
}

/**
 * Runs each runner once on two codes, so that no timed run pays for
 * transpiling; a baseline that fails is left out, with a line.
 *
 * @returns the cases left
 * @throws {WarmUpError} when one of our scripts fails
 */
async function warmUp(cases: Case[], bench: Bench): Promise<Case[]> {
  const failed = new Set();
  for (const runner of new Set(cases.map((c) => c.runner))) {
    const what = `warming up: ${runner.label}`;
    const { problems } = await runOnce(what, WARM_UP, runner, bench);
    if (!problems.length) continue;
    const why = problems.join("; ");
    if (!isBaseline(runner)) {
      throw new WarmUpError(`warm-up of ${runner.label}: ${why}`);
    }
    warn(`*** ${runner.label} left out: ${why}`);
    failed.add(runner);
  }
  return cases.filter((c) => !failed.has(c.runner));
}

/** Runs every case `repeat` times in rounds, then each script once traced. */
async function runAll(cases: Case[], repeat: number, bench: Bench) {
  const run = async (c: Case, what: string, traced?: boolean) => {
    what = `[${cases.indexOf(c) + 1}/${cases.length}] ${label(c)} ${what}`;
    const result = await runOnce(what, c.scenario, c.runner, bench, traced);
    for (const problem of result.problems) warn(`*** ${what}: ${problem}`);
    return result;
  };
  for (const scenario of new Set(cases.map((c) => c.scenario))) {
    const mine = cases.filter((c) => c.scenario === scenario);
    for (let r = 1; r <= repeat; r++) {
      for (const c of mine) c.runs.push(await run(c, `run ${r}`));
    }
  }
  for (const c of cases.filter((c) => !isBaseline(c.runner))) {
    c.traced = await run(c, "traced run", true);
  }
  warn("all runs done");
}

/** Writes `text` to `path`, making its folder first. */
async function writeOut(path: string, text: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** Runs the bench. */
async function main(args: string[]): Promise<void> {
  const options = await parseOptions(args);
  const scenarios = pickScenarios(options.scenario);
  // The CPU-bound scripts: with every scenario, or when named.
  const cpu = options.scenario.length === 0 ||
    options.scenario.some((name) => name.toLowerCase() === "cpu");
  if (options.workdir && !(await isFolder(options.workdir))) {
    console.error(`*** --workdir ${options.workdir}: no such folder`);
    Deno.exit(2);
  }
  // --quick picks its subset only when no scenario is named.
  const quick = (options.quick ?? false) && options.scenario.length === 0;
  const repeat = options.repeat ?? (options.quick ? 1 : 3);
  const book: Book = options.book
    ? await loadBook(options.book, options.python, warn)
    : { flags: [], cpu: [], notes: [] };
  const baselines = [...(await isFile(CURL_PATH) ? [CURL] : []), FLOOR];
  let cases = planCases(scenarios, quick, baselines, book.flags);
  const interrupted = listenForCtrlC();
  const bench: Bench = {
    method: options.memory ?? await memoryMethod(),
    workdir: options.workdir ?? (await isFolder(SHM) ? SHM : undefined),
    signal: interrupted,
  };
  const date = new Date();
  let cpuRows: CpuRow[] = [];
  try {
    cases = await warmUp(cases, bench);
    await runAll(cases, repeat, bench);
    if (cpu) {
      const scales = quick ? [1] : [1, SCALE];
      const cpuSetup = { ...bench, repeat, scales, progress, warn };
      cpuRows = await runCpu([...CPU_SCRIPTS, ...book.cpu], cpuSetup);
    }
  } catch (exc) {
    if (!interrupted.aborted) throw exc;
    // The runs' `finally` and `await using` blocks have cleaned up by now.
    warn("*** Interrupted: runs stopped, servers and folders removed.");
    Deno.exit(130);
  }
  const rows = cases.map((c) => summarize(c, cases));
  const columns = [
    ...new Set([CURL, FLOOR, ...book.flags].map((b) => b.ratio.column)),
  ];
  const info = await machine();
  console.log(preamble(date, info, repeat, bench, book.notes));
  if (rows.length) console.log(flagsTable(rows, columns));
  if (cpu) console.log(`\n${cpuTable(cpuRows, repeat)}`);

  const results = {
    date: date.toISOString(),
    machine: info,
    repeat,
    memory: describeMemory(bench.method),
    workdir: bench.workdir ?? null,
    rows,
    cpu: cpuRows,
  };
  await writeOut(options.json, JSON.stringify(results, null, 2) + "\n");
  console.error(`\nResults: ${options.json}`);
  if (rows.length) { // none when only cpu ran
    const title = "flags2: downloads completed over time (traced runs), " +
      date.toISOString().slice(0, 10);
    await writeOut(options.svg, renderChart(title, chartPanels(cases)));
    console.error(`Chart:   ${options.svg}`);
  }
  const bad = [...rows, ...cpuRows].filter((row) => row.problems.length);
  if (bad.length) {
    console.error(`*** ${bad.length} row(s) did not add up: see "check".`);
  }
  Deno.exit(interrupted.aborted ? 130 : bad.length ? 1 : 0);
}

if (import.meta.main) {
  await main(Deno.args);
}
